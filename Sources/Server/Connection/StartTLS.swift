import NIOCore
import NIOSSL

extension NIOLoopBound where Value == LineFrameHandler {
    /// STARTTLS (SMTP) and STLS (POP3), the one way: in a single event-loop
    /// turn, write the go-ahead in plaintext, put TLS in front of the
    /// pipeline and drop every plaintext byte the framer still holds, so
    /// nothing sent before the handshake is ever read as a command (RFC 3207
    /// § 4.2, RFC 2595 § 4; the CVE-2011-0411 class of injection).
    func startTLS(on channel: any Channel, context: NIOSSLContext, reply: String) async throws {
        let frame = self
        try await channel.eventLoop.submit {
            var buffer = channel.allocator.buffer(capacity: reply.utf8.count)
            buffer.writeString(reply)
            channel.writeAndFlush(buffer, promise: nil)
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context), position: .first)
            frame.value.discardBufferedInput()
        }.get()
    }
}
