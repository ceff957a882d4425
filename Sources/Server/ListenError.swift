import Configuration
import Foundation
import NIOCore

/// A listener that could not open its socket, in the operator's words:
/// which listener, on which address, why, and what to do about it.
/// (NIO's own text is `bind(descriptor:ptr:bytes:): Address already in use
/// (errno: 98)`, which names none of these.)
public struct ListenError: Error, CustomStringConvertible {
    /// What listens there: "SMTP", "submission (implicit TLS)", "POP3".
    public var service: String
    public var address: ListenAddress
    public var reason: String

    public var description: String { "cannot listen for \(service) on \(address): \(reason)" }

    init(service: String, address: ListenAddress, error: any Error) {
        self.service = service
        self.address = address
        reason = Self.reason(error, port: address.port)
    }

    static func reason(_ error: any Error, port: Int) -> String {
        switch error {
        case let error as IOError:
            switch error.errnoCode {
            case EACCES where port < 1024, EPERM where port < 1024:
                return "permission denied: ports below 1024 need the CAP_NET_BIND_SERVICE capability. "
                    + "Grant it to the binary with 'sudo setcap cap_net_bind_service=+ep \(executable)', "
                    + "or under systemd with AmbientCapabilities=CAP_NET_BIND_SERVICE in the [Service] section; "
                    + "or listen on a port above 1023"
            case EADDRINUSE:
                return "address already in use (another program listens there; 'ss -ltnp' shows which)"
            case EADDRNOTAVAIL:
                return "this machine has no such address"
            default:
                return String(cString: strerror(error.errnoCode)).lowercased()
            }
        case let error as SocketAddressError.UnknownHost:
            return "cannot resolve \(error.host)"
        case let error as any CustomStringConvertible:
            return error.description
        default:
            return "\(error)"
        }
    }

    private static var executable: String {
        let path = Bundle.main.executablePath ?? CommandLine.arguments.first ?? "sims"
        return path.isEmpty ? "sims" : path
    }
}
