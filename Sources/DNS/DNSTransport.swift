/// Sends one question to the name servers and returns the reply that
/// settles it: NOERROR or NXDOMAIN from some server.
///
/// The seam between the resolver's logic (CNAMEs, caching) and the network;
/// tests put a fake behind it.
package protocol DNSTransport: Sendable {
    func exchange(_ question: DNSQuestion) async throws(DNSError) -> DNSMessage
}
