import NIOCore

extension NIOAsyncChannel where Inbound == ConnectionInbound, Outbound == ByteBuffer {
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

extension Channel {
    /// Sends a last line (SMTP 421, POP3 -ERR) and closes; from any thread.
    func closeSaying(_ text: String) {
        let channel = self
        eventLoop.execute {
            guard channel.isActive else { return }
            var buffer = channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
