import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// `ACMETransport` over AsyncHTTPClient. `caCertificatePath` adds a PEM
/// file's certificates to the system's trust roots, for a test or private
/// certificate authority (pebble, step-ca).
public final class HTTPClientTransport: ACMETransport {
    private let client: HTTPClient
    /// Larger answers are refused: a certificate chain is a few kilobytes.
    static let maximumBody = 1 << 20
    let timeout: TimeAmount = .seconds(30)

    public init(caCertificatePath: String?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caCertificatePath {
            tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(caCertificatePath))]
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func send(_ request: ACMERequest) async throws -> ACMEResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        outgoing.headers.add(name: "User-Agent", value: "SIMS-ACME")
        if let body = request.body {
            outgoing.headers.add(name: "Content-Type", value: "application/jose+json")
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(outgoing, timeout: timeout)
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name.lowercased()] = value }
        let body = request.method == .head ? ByteBuffer() : try await response.body.collect(upTo: Self.maximumBody)
        return ACMEResponse(status: Int(response.status.code), headers: headers, body: Array(body.readableBytesView))
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }
}
