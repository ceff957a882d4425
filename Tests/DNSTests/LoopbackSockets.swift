#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Plain BSD sockets for test fixtures: a port nobody uses, a UDP socket that
/// never answers, one raw UDP exchange. Kept outside NIO so that the fixtures
/// do not share the code under test.
enum LoopbackSockets {
    /// A port free on `host` for both UDP and TCP right now: the kernel picks
    /// one for UDP, and it is kept only if TCP can bind it too.
    static func freePort(host: String = "127.0.0.1") -> Int? {
        for _ in 0..<20 {
            guard let udp = BoundSocket(host: host, port: 0, datagram: true) else { return nil }
            let port = udp.port
            if BoundSocket(host: host, port: port, datagram: false) != nil { return port }
        }
        return nil
    }

    /// Sends `query` over UDP and returns the first datagram back, or nil
    /// after `seconds`.
    static func exchange(_ query: [UInt8], host: String = "127.0.0.1", port: Int, seconds: Int = 2) -> [UInt8]? {
        guard let socket = BoundSocket(host: host, port: 0, datagram: true) else { return nil }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket.descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard socket.connect(host: host, port: port) else { return nil }
        guard query.withUnsafeBytes({ send(socket.descriptor, $0.baseAddress, $0.count, 0) }) == query.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let received = buffer.withUnsafeMutableBytes { recv(socket.descriptor, $0.baseAddress, $0.count, 0) }
        return received > 0 ? Array(buffer[..<received]) : nil
    }
}

/// A socket bound to an IPv4 or IPv6 loopback address, closed on deinit.
final class BoundSocket {
    let descriptor: Int32
    let port: Int
    private let isIPv6: Bool
    private var owned = true

    init?(host: String, port: Int, datagram: Bool) {
        isIPv6 = host.contains(":")
        #if canImport(Glibc)
            let socketType = Int32(datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        #else
            let socketType = datagram ? SOCK_DGRAM : SOCK_STREAM
        #endif
        let descriptor = socket(isIPv6 ? AF_INET6 : AF_INET, socketType, 0)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        var storage = Self.address(host: host, port: port, isIPv6: isIPv6)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_storage>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var actual = sockaddr_storage()
        let named = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            close(descriptor)
            return nil
        }
        self.port = withUnsafePointer(to: &actual) { pointer in
            pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    func connect(host: String, port: Int) -> Bool {
        var storage = Self.address(host: host, port: port, isIPv6: isIPv6)
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #if canImport(Glibc)
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_storage>.size))
                #else
                    Darwin.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_storage>.size))
                #endif
            }
        } == 0
    }

    /// Hands the descriptor over to another owner: `deinit` will not close it.
    func detach() -> Int32 {
        owned = false
        return descriptor
    }

    deinit { if owned { close(descriptor) } }

    /// sin_port and sin6_port sit at the same offset, which `port` relies on.
    private static func address(host: String, port: Int, isIPv6: Bool) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutablePointer(to: &storage) { pointer in
            if isIPv6 {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    $0.pointee.sin6_family = sa_family_t(AF_INET6)
                    $0.pointee.sin6_port = UInt16(port).bigEndian
                    _ = inet_pton(AF_INET6, host, &$0.pointee.sin6_addr)
                }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    $0.pointee.sin_family = sa_family_t(AF_INET)
                    $0.pointee.sin_port = UInt16(port).bigEndian
                    _ = inet_pton(AF_INET, host, &$0.pointee.sin_addr)
                }
            }
        }
        return storage
    }
}
