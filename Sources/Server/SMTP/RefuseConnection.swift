import NIOCore

extension NIOAsyncChannel where Inbound == SMTPInbound, Outbound == ByteBuffer {
    /// Sends one refusal (SMTP 421, POP3 -ERR) and closes, before any session
    /// starts: for connection limits and banned addresses on every listener.
    func refuse(with text: String) async {
        try? await executeThenClose { _, _ in
            var buffer = channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            try await channel.writeAndFlush(buffer)
        }
    }
}
