import Logging
import NIOCore
import NIOPosix

/// The real transport: UDP to each server in order, TCP when a reply comes
/// back truncated, all on SwiftNIO (no getaddrinfo, no blocking calls).
struct NIODNSTransport: DNSTransport {
    let servers: [SocketAddress]
    let group: any EventLoopGroup
    /// How long one exchange (one query to one server) may take.
    let timeout: Duration
    /// How many times the whole server list is tried.
    let attempts: Int
    let logger: Logger

    /// RFC 1035 § 4.2.1 / RFC 1123 § 6.1.3.3: a stub retries, cycling
    /// through its servers, before giving up. A server that fails (SERVFAIL,
    /// REFUSED, a garbled reply, no reply) makes us move to the next one; the
    /// last failure is what the caller sees.
    func exchange(_ question: DNSQuestion) async throws(DNSError) -> DNSMessage {
        guard !servers.isEmpty else { throw .serverFailure("no usable DNS server configured") }
        var lastError = DNSError.timeout("no reply for \(question)")
        for _ in 0..<max(1, attempts) {
            for server in servers {
                if Task.isCancelled { throw .timeout("lookup of \(question) cancelled") }
                // A fresh ID for every query: a late reply to an earlier one
                // must not be taken for this one's.
                let query = DNSMessage.query(question)
                do {
                    var reply = try await exchangeOverUDP(query, with: server)
                    if reply.isTruncated {
                        logger.debug("truncated UDP reply, retrying over TCP", metadata: ["server": "\(server.hostAndPort)"])
                        reply = try await exchangeOverTCP(query, with: server)
                    }
                    switch reply.responseCode {
                    case .noError, .nameError:
                        return reply
                    default:
                        lastError = .serverFailure("\(server.hostAndPort) answered \(reply.responseCode) for \(question)")
                    }
                } catch {
                    lastError = Self.describe(error, server: server, question: question)
                }
                logger.debug("\(lastError)", metadata: ["server": "\(server.hostAndPort)"])
            }
        }
        throw lastError
    }

    private func exchangeOverUDP(_ query: DNSMessage, with server: SocketAddress) async throws -> DNSMessage {
        let loop = group.next()
        let promise = loop.makePromise(of: DNSMessage.self)
        // One connected socket per query: the kernel picks a random source
        // port (RFC 5452 § 9.2) and drops datagrams from any other address.
        let bootstrap = DatagramBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSDatagramReplyHandler(query: query, promise: promise))
                }
            }
        let channel = try await connect(promise) { bootstrap.connect(to: server) }
        return try await waitForReply(promise, on: channel, deadline: .now() + TimeAmount(timeout)) { channel in
            let bytes = ByteBuffer(bytes: query.encoded())
            return channel.writeAndFlush(AddressedEnvelope(remoteAddress: server, data: bytes))
        }
    }

    private func exchangeOverTCP(_ query: DNSMessage, with server: SocketAddress) async throws -> DNSMessage {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let loop = group.next()
        let promise = loop.makePromise(of: DNSMessage.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSStreamFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(DNSStreamReplyHandler(query: query, promise: promise))
                }
            }
        let channel = try await connect(promise) { bootstrap.connect(to: server) }
        return try await waitForReply(promise, on: channel, deadline: deadline) { channel in
            let bytes = query.encoded()
            var framed = channel.allocator.buffer(capacity: bytes.count + 2)
            framed.writeInteger(UInt16(bytes.count))
            framed.writeBytes(bytes)
            return channel.writeAndFlush(framed)
        }
    }

    /// Opens the channel; if that fails, fails `promise` too, so that no
    /// promise is dropped unfulfilled (SwiftNIO reports those as leaks).
    private func connect(
        _ promise: EventLoopPromise<DNSMessage>, _ open: () -> EventLoopFuture<any Channel>
    ) async throws -> any Channel {
        do {
            return try await open().get()
        } catch {
            promise.fail(error)
            throw error
        }
    }

    /// Sends the query, then waits for the handler to complete `promise` or
    /// for `deadline`, whichever comes first; the channel is closed either way.
    private func waitForReply(
        _ promise: EventLoopPromise<DNSMessage>, on channel: any Channel, deadline: NIODeadline,
        send: (any Channel) -> EventLoopFuture<Void>
    ) async throws -> DNSMessage {
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(DNSExchangeFailure.timedOut)
        }
        promise.futureResult.whenComplete { _ in
            timer.cancel()
            channel.close(promise: nil)
        }
        send(channel).whenFailure { promise.fail(DNSExchangeFailure.io($0)) }
        return try await promise.futureResult.get()
    }

    private static func describe(_ error: any Error, server: SocketAddress, question: DNSQuestion) -> DNSError {
        switch error {
        case DNSExchangeFailure.timedOut:
            return .timeout("no reply from \(server.hostAndPort) for \(question)")
        case DNSExchangeFailure.invalid(let problem):
            return .malformedResponse("\(server.hostAndPort) for \(question): \(problem)")
        case DNSExchangeFailure.closed:
            return .serverFailure("\(server.hostAndPort) closed the connection before replying to \(question)")
        case DNSExchangeFailure.io(let underlying):
            return .serverFailure("\(server.hostAndPort) for \(question): \(underlying)")
        case ChannelError.connectTimeout:
            return .timeout("no TCP connection to \(server.hostAndPort) for \(question)")
        default:
            return .serverFailure("\(server.hostAndPort) for \(question): \(error)")
        }
    }
}

extension SocketAddress {
    /// `192.0.2.53:53` or `[2001:db8::53]:53`, the form servers are configured
    /// in, for messages and logs (`description` adds NIO's own decoration).
    var hostAndPort: String {
        let host = ipAddress ?? "?"
        let port = self.port.map(String.init) ?? "?"
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
