import DNS
import Foundation
import MailCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A UDP "server" on 127.0.0.1 that answers each query with whatever
/// datagrams `script` returns: forged, garbled, or well-formed replies, for
/// testing what the transport accepts.
///
/// Runs on its own thread with plain sockets; the thread owns the socket and
/// closes it within 100 ms of `stop()`.
final class ScriptedUDPServer: Sendable {
    let port: Int
    private let stopped = Mutex(false)
    private let queries = Mutex(0)

    var server: String { "127.0.0.1:\(port)" }
    var queryCount: Int { queries.withLock { $0 } }

    init?(script: @escaping @Sendable (DNSMessage) -> [[UInt8]]) {
        guard let socket = BoundSocket(host: "127.0.0.1", port: 0, datagram: true) else { return nil }
        port = socket.port
        let descriptor = socket.detach()
        Thread.detachNewThread { [self] in serve(descriptor, script) }
    }

    func stop() { stopped.withLock { $0 = true } }

    private func serve(_ descriptor: Int32, _ script: @Sendable (DNSMessage) -> [[UInt8]]) {
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !stopped.withLock({ $0 }) {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(descriptor, bytes.baseAddress, bytes.count, 0, $0, &length)
                    }
                }
            }
            guard count > 0, let query = try? DNSMessage(decoding: Array(buffer[..<count])) else { continue }
            queries.withLock { $0 += 1 }
            for datagram in script(query) {
                _ = datagram.withUnsafeBytes { bytes in
                    withUnsafePointer(to: &peer) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, length)
                        }
                    }
                }
            }
        }
    }

    /// A reply to `query` carrying `answers`, with `id` instead of the
    /// query's when given.
    static func reply(
        to query: DNSMessage, id: UInt16? = nil, code: DNSResponseCode = .noError, answers: [DNSResourceRecord] = []
    ) -> [UInt8] {
        DNSMessage(
            id: id ?? query.id, isResponse: true, recursionAvailable: true, responseCode: code,
            questions: query.questions, answers: answers
        ).encoded()
    }

    static func a(_ query: DNSMessage, _ address: String) -> DNSResourceRecord {
        DNSResourceRecord(name: query.questions[0].name, ttl: 60, data: .a(IPAddress(address)!))
    }
}
