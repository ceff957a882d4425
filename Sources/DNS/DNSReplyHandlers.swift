import NIOCore

/// Why one exchange with one server produced no reply. Internal to the
/// transport, which turns it into a `DNSError` naming the server.
enum DNSExchangeFailure: Error {
    case timedOut
    case invalid(DNSWireError)
    case closed
    case io(any Error)
}

/// Completes `promise` with the first datagram that answers `query`.
///
/// A datagram with another ID is ignored rather than fatal: it may be a late
/// reply to an earlier attempt or a forgery (RFC 5452 § 4), and failing on
/// it would let anyone who can send us a packet cancel our lookups. A reply
/// with our ID that is malformed or asks another question fails the exchange.
final class DNSDatagramReplyHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let query: DNSMessage
    private let promise: EventLoopPromise<DNSMessage>

    init(query: DNSMessage, promise: EventLoopPromise<DNSMessage>) {
        self.query = query
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).data.readableBytesView)
        do {
            promise.succeed(try DNSMessage(decodingResponse: bytes, to: query))
        } catch .idMismatch {
            return
        } catch {
            promise.fail(DNSExchangeFailure.invalid(error))
        }
    }

    /// On a connected UDP socket an ICMP "port unreachable" arrives as an
    /// error: no server listens there, so stop waiting for it.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(DNSExchangeFailure.io(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(DNSExchangeFailure.closed)
    }
}

/// Splits a TCP stream into DNS messages: each is preceded by its length as
/// two octets (RFC 1035 § 4.2.2).
struct DNSStreamFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }
}

/// Completes `promise` with the reply read over TCP. The connection is ours
/// alone, so anything but the right reply fails the exchange.
final class DNSStreamReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let query: DNSMessage
    private let promise: EventLoopPromise<DNSMessage>

    init(query: DNSMessage, promise: EventLoopPromise<DNSMessage>) {
        self.query = query
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        do {
            promise.succeed(try DNSMessage(decodingResponse: bytes, to: query))
        } catch {
            promise.fail(DNSExchangeFailure.invalid(error))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(DNSExchangeFailure.io(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(DNSExchangeFailure.closed)
    }
}
