import DNS
import MailCore
import NIOCore
import NIOPosix
import SMTPClient

/// Runs a `RelayProbe` against a real server over TCP (SwiftNIO), with a
/// connect timeout and a timeout for every reply.
public struct RelayCheckClient: Sendable {
    public var host: String
    public var port: Int
    public var connectTimeout: Duration
    /// How long one reply may take; RFC 5321 § 4.5.3.2 allows servers minutes,
    /// but a probe that waits that long helps nobody.
    public var replyTimeout: Duration
    private let group: any EventLoopGroup

    public init(
        host: String, port: Int, connectTimeout: Duration = .seconds(10), replyTimeout: Duration = .seconds(30),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
        self.group = group
    }

    /// Plays every trick and returns the report. Never throws: a server that
    /// cannot be reached is a report with a failure.
    public func run(_ settings: RelayProbe.Settings) async -> RelayCheckReport {
        var probe = RelayProbe(settings: settings)
        while !probe.isFinished {
            let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
            do {
                channel = try await connect()
            } catch {
                if probe.connectFailed(SystemErrorText.describe(error)) == .finish { break }
                continue
            }
            probe.connected(address: channel.channel.remoteAddress?.ipAddress ?? host)
            do {
                probe = try await converse(channel, probe)
            } catch {
                _ = probe.connectionClosed(SystemErrorText.describe(error))
            }
        }
        return probe.report
    }

    private func connect() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// One connection's dialogue, until the probe wants a new connection or is done.
    private func converse(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, _ start: RelayProbe) async throws -> RelayProbe {
        let timeout = replyTimeout
        return try await channel.executeThenClose { inbound, outbound in
            var probe = start
            // The same reply parser as outbound delivery: RFC 5321 § 4.2.1
            // multi-line replies, bounded lines, junk is a protocol error.
            var decoder = SMTPReplyDecoder()
            var chunks = inbound.makeAsyncIterator()
            while true {
                // A reply that does not come in time closes the channel, which ends the stream.
                let deadline = NIODeadline.now() + TimeAmount(timeout)
                let timer = channel.channel.eventLoop.scheduleTask(deadline: deadline) { channel.channel.close(promise: nil) }
                let next = await Self.nextReply(&decoder, from: &chunks)
                timer.cancel()
                let reply: SMTPReply
                switch next {
                case .success(let decoded?):
                    reply = decoded
                case .success(nil):
                    let reason =
                        NIODeadline.now() >= deadline
                        ? "no reply within \(timeout.shortText)" : "the server closed the connection"
                    _ = probe.connectionClosed(reason)
                    return probe
                case .failure(let error):
                    _ = probe.connectionClosed("the server sent a \(error)")
                    return probe
                }
                switch probe.receive(RelayProbeReply(reply)) {
                case .send(let command):
                    try await outbound.write(ByteBuffer(string: command + "\r\n"))
                case .reconnect, .finish:
                    return probe
                }
            }
        }
    }
}

extension RelayCheckClient {
    /// The next whole reply; nil when the stream ends (closed, or timed out) first.
    fileprivate static func nextReply(
        _ decoder: inout SMTPReplyDecoder, from chunks: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    ) async -> Result<SMTPReply?, ReplyDecodingError> {
        do {
            while true {
                if let reply = try decoder.next() { return .success(reply) }
                guard let chunk = try? await chunks.next() else { return .success(nil) }
                decoder.feed(chunk)
            }
        } catch {
            return .failure(error)
        }
    }
}
