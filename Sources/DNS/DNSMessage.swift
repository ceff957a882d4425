/// A DNS message (RFC 1035 § 4.1): header, question and the three record
/// sections. A plain value: `encoded()` and `init(decoding:)` are the whole
/// wire codec, and neither touches a socket.
public struct DNSMessage: Hashable, Sendable {
    public var id: UInt16
    /// QR: set in responses.
    public var isResponse: Bool
    public var opcode: UInt8
    /// AA.
    public var isAuthoritative: Bool
    /// TC: the reply did not fit and must be asked for again over TCP
    /// (RFC 1035 § 4.2.1, RFC 7766 § 5).
    public var isTruncated: Bool
    /// RD: a stub resolver always asks the server to do the recursion.
    public var recursionDesired: Bool
    /// RA.
    public var recursionAvailable: Bool
    public var responseCode: DNSResponseCode
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authority: [DNSResourceRecord]
    public var additional: [DNSResourceRecord]

    public init(
        id: UInt16, isResponse: Bool = false, opcode: UInt8 = 0, isAuthoritative: Bool = false,
        isTruncated: Bool = false, recursionDesired: Bool = true, recursionAvailable: Bool = false,
        responseCode: DNSResponseCode = .noError, questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [],
        authority: [DNSResourceRecord] = [], additional: [DNSResourceRecord] = []
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.responseCode = responseCode
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
    }

    /// A standard query with RD set and one question.
    ///
    /// The ID is random by default: with the random source port the kernel
    /// gives each query socket, it is what makes a forged reply hard to land
    /// (RFC 5452 § 9.2).
    public static func query(_ question: DNSQuestion, id: UInt16 = .random(in: .min ... .max)) -> DNSMessage {
        DNSMessage(id: id, recursionDesired: true, questions: [question])
    }
}
