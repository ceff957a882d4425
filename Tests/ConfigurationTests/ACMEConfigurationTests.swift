import Testing

@testable import Configuration

@Suite("[tls.acme]")
struct ACMEConfigurationTests {
    @Test func offUnlessADirectoryIsSet() {
        let (configuration, problems) = ConfigurationLoader.parse(DefaultConfigurationFile.text(hostname: "mx.example.org"))
        #expect(problems.isEmpty)
        #expect(configuration.acme == nil)
        #expect(configuration.tlsCertificate == "tls/cert.pem")
    }

    @Test func theACMEFilesReplaceTheSelfSignedPairOfSimsInit() throws {
        let text = """
            hostname = "mx.example.org"
            [tls]
            certificate = "tls/cert.pem"
            key = "tls/key.pem"
            [tls.acme]
            directory = "https://acme.example/dir"
            contact = ["mailto:postmaster@example.org"]
            renew_before = "30d"
            """
        let (configuration, problems) = ConfigurationLoader.parse(text)
        #expect(problems.isEmpty, "\(problems)")
        let acme = try #require(configuration.acme)
        #expect(acme.directory == "https://acme.example/dir")
        #expect(acme.names(hostname: configuration.hostname) == ["mx.example.org"])
        #expect(acme.httpListen == ListenAddress(host: "0.0.0.0", port: 80))
        #expect(acme.renewBefore == .seconds(30 * 86_400))
        #expect(configuration.tlsCertificate == "acme/cert.pem")
        #expect(configuration.tlsKey == "acme/key.pem")
    }

    @Test func filesTheOperatorNamedStay() throws {
        let text = """
            [tls]
            certificate = "/etc/ssl/mx.pem"
            key = "/etc/ssl/mx.key"
            [tls.acme]
            directory = "https://acme.example/dir"
            domains = ["MX.example.org", "mail.example.org"]
            http_listen = "[::]:80"
            """
        let (configuration, problems) = ConfigurationLoader.parse(text)
        #expect(problems.isEmpty, "\(problems)")
        #expect(configuration.tlsCertificate == "/etc/ssl/mx.pem")
        #expect(configuration.acme?.domains == ["mx.example.org", "mail.example.org"])
        #expect(configuration.acme?.httpListen == ListenAddress(host: "::", port: 80))
    }

    @Test func mistakesAreNamed() {
        let text = """
            [tls.acme]
            directory = "acme.example/dir"
            contact = ["postmaster@example.org"]
            domains = ["*.example.org"]
            http_listen = "80"
            colour = "blue"
            """
        let keys = Set(ConfigurationLoader.parse(text).1.map(\.key))
        #expect(
            keys == [
                "tls.acme.directory", "tls.acme.contact", "tls.acme.domains", "tls.acme.http_listen", "tls.acme.colour",
            ])
    }

    @Test func warnsWhenTheResponderIsNotOnAPublicPort80() {
        var configuration = ServerConfiguration()
        configuration.acme = ACMEOptions(directory: "https://acme.example/dir")
        #expect(ConfigurationWarnings.check(configuration).isEmpty)
        configuration.acme?.httpListen = ListenAddress(host: "127.0.0.1", port: 2080)
        #expect(ConfigurationWarnings.check(configuration).contains { $0.contains("tls.acme.http_listen is 127.0.0.1:2080") })
    }
}
