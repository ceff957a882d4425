/// The HTTP exchanges the ACME flow needs, behind a protocol so that the
/// flow runs against a fake certificate authority in tests.
public protocol ACMETransport: Sendable {
    /// GET (the directory) or HEAD (newNonce) when `body` is nil with
    /// `method` set accordingly; POST with a JOSE body otherwise.
    func send(_ request: ACMERequest) async throws -> ACMEResponse
}

public struct ACMERequest: Sendable, Equatable {
    public enum Method: String, Sendable { case get = "GET", head = "HEAD", post = "POST" }
    public var method: Method
    public var url: String
    /// `application/jose+json` for POST.
    public var body: [UInt8]?

    public init(method: Method, url: String, body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.body = body
    }
}

public struct ACMEResponse: Sendable {
    public var status: Int
    /// Names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}
