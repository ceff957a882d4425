import Foundation
import MailCore
import NIOCore
import NIOPosix

/// An error from the system or a library, in the words a person reads:
/// what failed and why, never a type's internals (`SingleConnectionFailure(…)`,
/// `NSCocoaErrorDomain Code=4`). Errors of our own that describe themselves
/// (`CustomStringConvertible`) are used as they are.
///
/// It lives here, in the lowest module built on NIO, so that the server
/// (doctor, listeners), the operator's tools and the command line share it.
public enum SystemErrorText {
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            return reason(errno: error.errnoCode)
        case let error as NIOConnectionError:
            return connection(error)
        case let error as ChannelError:
            return channel(error)
        case let error as SocketAddressError.UnknownHost:
            return "cannot resolve \(error.host): \(error.errorDescription)"
        case let error as SocketAddressError:
            return address(error)
        case let error as DecodingError:
            return decoding(error)
        case let error as CocoaError:
            return file(
                code: error.code.rawValue,
                path: error.userInfo[NSFilePathErrorKey] as? String ?? (error.userInfo[NSURLErrorKey] as? URL)?.path,
                underlying: error.userInfo[NSUnderlyingErrorKey] as? any Error)
        case let error where type(of: error) is NSError.Type:
            // Foundation's errors are NSError objects on Linux; their
            // description is the internals this type exists to hide.
            let error = error as NSError
            if error.domain == NSCocoaErrorDomain {
                let path = error.userInfo[NSFilePathErrorKey] as? String ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
                return file(code: error.code, path: path, underlying: error.userInfo[NSUnderlyingErrorKey] as? any Error)
            }
            if error.domain == NSPOSIXErrorDomain { return reason(errno: Int32(error.code)) }
            return error.localizedDescription
        case let error as any CustomStringConvertible:
            return error.description
        default:
            return "\(error)"
        }
    }

    /// `strerror` in lower case: "connection refused", "address already in use".
    public static func reason(errno code: Int32) -> String {
        guard let text = strerror(code).map({ String(cString: $0) }), !text.isEmpty else { return "error \(code)" }
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    private static func connection(_ error: NIOConnectionError) -> String {
        let target = "\(error.host):\(error.port)"
        if let failure = error.connectionErrors.first {
            return "\(target): \(describe(failure.error))"
        }
        if error.dnsAError != nil || error.dnsAAAAError != nil {
            return "\(target): the host name does not resolve"
        }
        return "\(target): no address to connect to"
    }

    private static func channel(_ error: ChannelError) -> String {
        switch error {
        case .connectTimeout(let after): return "no connection within \(Duration(after).shortText)"
        case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof: return "the connection was closed"
        default: return "connection failed (\(error))"
        }
    }

    private static func address(_ error: SocketAddressError) -> String {
        switch error {
        case .unsupported: return "unsupported address family"
        case .unixDomainSocketPathTooLong: return "socket path too long"
        case .failedToParseIPString(let text): return "\(text) is not an IP address"
        default: return "cannot resolve the host name"
        }
    }

    private static func decoding(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
            .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "malformed data\(path.isEmpty ? "" : " at \(path)"): \(context.debugDescription)"
        @unknown default:
            return "malformed data"
        }
    }

    /// Foundation's file errors (CocoaError codes) as "what: path".
    private static func file(code: Int, path: String?, underlying: (any Error)?) -> String {
        let subject = path.map { " \($0)" } ?? ""
        switch code {
        case 4, 260: return "no such file or directory:\(subject)"
        case 257, 513: return "permission denied:\(subject)"
        case 640: return "no space left on the device:\(subject)"
        case 516: return "already exists:\(subject)"
        case 642: return "read-only file system:\(subject)"
        case 259, 264: return "unreadable or corrupt file:\(subject)"
        default:
            if let underlying = underlying as NSError?, underlying.domain == NSPOSIXErrorDomain {
                return "\(reason(errno: Int32(underlying.code))):\(subject)"
            }
            return code < 512 ? "cannot read\(subject)" : "cannot write\(subject)"
        }
    }
}
