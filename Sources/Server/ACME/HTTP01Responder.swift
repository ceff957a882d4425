import ACME
import Configuration
import Logging
import MailCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The small port-80 listener for HTTP-01 (RFC 8555 § 8.3): one request per
/// connection, answered from the challenge board (`HTTP01Answer`: the key
/// authorization or 404), then closed. It serves no files. A request head
/// is bounded by NIO's HTTP parser (80 KiB; larger is a 400 and a close),
/// a body is never read, a connection that sends nothing for
/// `idleTimeout` is closed, and beyond `maximumConnections` open at once a
/// new one is closed unanswered (port 80 is open to everyone; a CA makes a
/// handful of requests per validation).
final class HTTP01Responder: Sendable {
    let address: ListenAddress
    let board: ChallengeBoard
    let logger: Logger
    static let idleTimeout: TimeAmount = .seconds(10)
    static let maximumConnections = 64
    private let server = NIOLockedValueBox<(any Channel)?>(nil)
    private let open = NIOLockedValueBox(0)

    init(address: ListenAddress, board: ChallengeBoard, logger: Logger) {
        self.address = address
        self.board = board
        self.logger = logger
    }

    /// Opens the socket; a failure is a `ListenError` like any listener's.
    func bind(group: any EventLoopGroup) async throws {
        let (board, logger, open) = (self.board, self.logger, self.open)
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    let admitted = open.withLockedValue { count in
                        guard count < Self.maximumConnections else { return false }
                        count += 1
                        return true
                    }
                    guard admitted else { return channel.close() }
                    channel.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                            withPipeliningAssistance: false, withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: Self.idleTimeout))
                        try channel.pipeline.syncOperations.addHandler(HTTP01Handler(board: board, logger: logger))
                    }
                }
                .bind(host: address.host, port: address.port).get()
            server.withLockedValue { $0 = channel }
            logger.notice("listening for ACME HTTP-01 on \(address)")
        } catch {
            throw ListenError(service: "ACME HTTP-01", address: address, error: error)
        }
    }

    func close() async {
        let channel = server.withLockedValue { channel in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
    }
}

/// Answers the first request head of a connection and closes it.
final class HTTP01Handler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let board: ChallengeBoard
    let logger: Logger
    private var answered = false

    init(board: ChallengeBoard, logger: Logger) {
        self.board = board
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data), !answered else { return }
        answered = true
        let answer = HTTP01Answer(method: head.method.rawValue, target: head.uri, board: board)
        let peer = context.remoteAddress?.ipAddress ?? "?"
        if answer.status == 200 {
            logger.info("ACME HTTP-01 challenge \(LogField.word(HTTP01Answer.token(in: head.uri) ?? "")) answered for \(peer)")
        } else {
            // Method and target are the client's: escaped like every client field.
            logger.debug(
                "ACME HTTP-01 \(LogField.word(head.method.rawValue.prefix(20))) \(LogField.text(head.uri.prefix(200))) from \(peer): 404"
            )
        }
        var buffer = context.channel.allocator.buffer(capacity: answer.body.utf8.count)
        buffer.writeString(answer.body)
        let headers = HTTPHeaders([
            ("Content-Type", "text/plain"), ("Content-Length", "\(buffer.readableBytes)"), ("Connection", "close"),
        ])
        context.write(
            wrapOutboundOut(
                .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: answer.status), headers: headers))),
            promise: nil)
        if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
