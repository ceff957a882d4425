import DNS
import NIOCore
import NIOPosix

/// Runs a `RelayProbe` against a real server over TCP (SwiftNIO), with a
/// connect timeout and a timeout for every reply.
public struct RelayCheckClient: Sendable {
    public var host: String
    public var port: Int
    public var connectTimeout: TimeAmount
    /// How long one reply may take; RFC 5321 § 4.5.3.2 allows servers minutes,
    /// but a probe that waits that long helps nobody.
    public var replyTimeout: TimeAmount
    private let group: any EventLoopGroup

    public init(
        host: String, port: Int, connectTimeout: TimeAmount = .seconds(10), replyTimeout: TimeAmount = .seconds(30),
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
            let channel: NIOAsyncChannel<String, ByteBuffer>
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

    private func connect() async throws -> NIOAsyncChannel<String, ByteBuffer> {
        try await ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ReplyLineDecoder()))
                    return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// One connection's dialogue, until the probe wants a new connection or is done.
    private func converse(_ channel: NIOAsyncChannel<String, ByteBuffer>, _ start: RelayProbe) async throws -> RelayProbe {
        let timeout = replyTimeout
        return try await channel.executeThenClose { inbound, outbound in
            var probe = start
            var assembler = RelayProbeReplyAssembler()
            var lines = inbound.makeAsyncIterator()
            while true {
                // A reply that does not come in time closes the channel, which ends the stream.
                let deadline = NIODeadline.now() + timeout
                let timer = channel.channel.eventLoop.scheduleTask(deadline: deadline) { channel.channel.close(promise: nil) }
                let line = try? await lines.next()
                timer.cancel()
                guard let line else {
                    let reason =
                        NIODeadline.now() >= deadline ? "no reply within \(timeout.seconds)s" : "the server closed the connection"
                    _ = probe.connectionClosed(reason)
                    return probe
                }
                guard let reply = assembler.receive(line) else { continue }
                switch probe.receive(reply) {
                case .send(let command):
                    try await outbound.write(ByteBuffer(string: command + "\r\n"))
                case .reconnect, .finish:
                    return probe
                }
            }
        }
    }
}

extension TimeAmount {
    fileprivate var seconds: String {
        let value = Double(nanoseconds) / 1e9
        return value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// Splits the byte stream into reply lines at LF, dropping the CR before it.
/// A line longer than 4096 octets is cut there: RFC 5321 § 4.5.3.1.5 limits
/// reply lines to 512.
struct ReplyLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096, let text = buffer.readString(length: 4096) {
                context.fireChannelRead(wrapInboundOut(text))
                return .continue
            }
            return .needMoreData
        }
        let length = newline - view.startIndex
        var text = buffer.readString(length: length) ?? ""
        buffer.moveReaderIndex(forwardBy: 1)
        if text.hasSuffix("\r") { text.removeLast() }
        context.fireChannelRead(wrapInboundOut(text))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
