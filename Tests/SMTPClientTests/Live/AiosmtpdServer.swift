import Foundation

/// A small SMTP server on python3-aiosmtpd, scripted for the tests.
///
/// - MAIL from an address starting with "tempfail" is answered 451.
/// - RCPT to an address starting with "reject" is answered 550, others 250.
/// - Each message is stored as `msg-N.eml` (the bytes after dot-unstuffing,
///   exactly as received) with `msg-N.json` beside it: envelope, MAIL
///   parameters, whether TLS was on, who authenticated.
/// - With --cert/--key it offers STARTTLS; with --user/--password it offers
///   AUTH PLAIN and LOGIN (only under TLS) and requires it.
/// - --client-ca makes the handshake demand a client certificate, at most
///   TLS 1.2, so that the handshake itself fails for a client without one.
final class AiosmtpdServer {
    static let script = #"""
        import argparse, json, os, ssl, threading
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        parser = argparse.ArgumentParser()
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--dir", required=True)
        parser.add_argument("--cert")
        parser.add_argument("--key")
        parser.add_argument("--client-ca")
        parser.add_argument("--user")
        parser.add_argument("--password")
        args = parser.parse_args()

        class Handler:
            def __init__(self):
                self.count = 0

            async def handle_MAIL(self, server, session, envelope, address, mail_options):
                if address.startswith("tempfail"):
                    return "451 4.3.0 Try again later"
                envelope.mail_from = address
                envelope.mail_options.extend(mail_options)
                return "250 2.1.0 OK"

            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address.startswith("reject"):
                    return "550 5.1.1 No such user here"
                envelope.rcpt_tos.append(address)
                return "250 2.1.5 OK"

            async def handle_DATA(self, server, session, envelope):
                self.count += 1
                base = os.path.join(args.dir, "msg-%d" % self.count)
                with open(base + ".tmp", "wb") as f:
                    f.write(envelope.original_content)
                meta = {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "mail_options": envelope.mail_options,
                    "tls": session.ssl is not None,
                    "authenticated": bool(getattr(session, "authenticated", False)),
                    "login": (session.auth_data.login.decode() if getattr(session, "auth_data", None) is not None else None),
                }
                with open(base + ".json", "w") as f:
                    json.dump(meta, f)
                os.rename(base + ".tmp", base + ".eml")
                return "250 2.0.0 Message accepted"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == args.user and auth_data.password.decode() == args.password
            # handled=False: aiosmtpd then answers 535 itself.
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        kwargs = {}
        if args.cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(args.cert, args.key)
            if args.client_ca:
                context.verify_mode = ssl.CERT_REQUIRED
                context.load_verify_locations(args.client_ca)
                context.maximum_version = ssl.TLSVersion.TLSv1_2
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = False
        if args.user:
            kwargs["authenticator"] = authenticator
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = True

        controller = Controller(Handler(), hostname="127.0.0.1", port=args.port, **kwargs)
        controller.start()
        print("READY", flush=True)
        threading.Event().wait()
        """#

    let process: ServerProcess
    let port: Int
    let directory: URL

    /// Starts the server and waits until it listens.
    init(
        directory: URL, certificate: (cert: String, key: String)? = nil, clientCA: String? = nil,
        credentials: (user: String, password: String)? = nil
    ) async throws {
        self.directory = directory
        let scriptURL = directory.appendingPathComponent("server.py")
        try Self.script.write(to: scriptURL, atomically: true, encoding: .utf8)
        port = try freePort()
        var arguments = [scriptURL.path, "--port", "\(port)", "--dir", directory.path]
        if let certificate { arguments += ["--cert", certificate.cert, "--key", certificate.key] }
        if let clientCA { arguments += ["--client-ca", clientCA] }
        if let credentials { arguments += ["--user", credentials.user, "--password", credentials.password] }
        process = try ServerProcess(
            name: "aiosmtpd", executable: LiveTools.python, arguments: arguments, logDirectory: directory)
        try await waitUntilListening(port: port, process: process)
    }

    /// The messages received so far: (bytes, metadata), in order.
    func messages() throws -> [(content: [UInt8], meta: [String: Any])] {
        var result: [(content: [UInt8], meta: [String: Any])] = []
        var index = 1
        while true {
            let base = directory.appendingPathComponent("msg-\(index)")
            guard let content = FileManager.default.contents(atPath: base.path + ".eml") else { break }
            let json = try Data(contentsOf: URL(fileURLWithPath: base.path + ".json"))
            let meta = try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
            result.append((Array(content), meta))
            index += 1
        }
        return result
    }

    func stop() { process.stop() }
}

/// A self-signed certificate for CN=localhost (with localhost and 127.0.0.1
/// as subject alternative names), made with openssl in `directory`.
func makeSelfSignedCertificate(in directory: URL, name: String = "server") throws -> (cert: String, key: String) {
    guard let openSSL = LiveTools.openSSL else { throw LiveTestError("openssl not found") }
    let cert = directory.appendingPathComponent("\(name).crt").path
    let key = directory.appendingPathComponent("\(name).key").path
    let status = LiveTools.run(
        openSSL,
        [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "2",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", key, "-out", cert,
        ])
    guard status == 0 else { throw LiveTestError("openssl req failed with status \(status)") }
    return (cert, key)
}
