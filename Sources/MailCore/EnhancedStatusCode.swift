/// An RFC 3463 enhanced mail system status code, such as `5.1.1`.
///
/// RFC 2034 § 3: once ENHANCEDSTATUSCODES is advertised, every reply after the
/// greeting (except to EHLO/HELO themselves and the greeting) carries one.
public struct EnhancedStatusCode: Hashable, Sendable, CustomStringConvertible {
    public var statusClass: Int
    public var subject: Int
    public var detail: Int

    public init(_ statusClass: Int, _ subject: Int, _ detail: Int) {
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    public var description: String { "\(statusClass).\(subject).\(detail)" }
}
