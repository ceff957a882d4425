import Foundation
import TOMLKit

extension TableReader {
    /// `[tls.acme]`. Read after everything else: when ACME is on, the
    /// served certificate is acme/cert.pem and acme/key.pem, unless
    /// `tls.certificate`/`tls.key` name files other than the self-signed
    /// pair of `sims init`: then the issued certificate is written there.
    mutating func readACME(_ root: TOMLTable, into c: inout ServerConfiguration) {
        guard let tls = root["tls"]?.table, let value = tls["acme"] else { return }
        guard let table = value.table else { problem("tls.acme", "must be a table ([tls.acme])"); return }
        var options = ACMEOptions(directory: "")
        for key in table.keys {
            let full = "tls.acme.\(key)"
            guard let value = table[key] else { continue }
            switch key {
            case "directory":
                if let url = string(full, value) {
                    if url.hasPrefix("https://") || url.hasPrefix("http://") {
                        options.directory = url
                    } else {
                        problem(full, "must be the CA's directory URL (https://…)")
                    }
                }
            case "contact":
                if let contact = strings(full, value) {
                    if let bad = contact.first(where: { !$0.hasPrefix("mailto:") || $0.count < 10 }) {
                        problem(full, "\(bad) is not \"mailto:address\"")
                    } else {
                        options.contact = contact
                    }
                }
            case "domains":
                if let domains = strings(full, value) {
                    if let bad = domains.first(where: { !DataDirectory.isValidHostname($0) }) {
                        problem(full, "\(bad) is not a host name (wildcards need DNS-01, which SIMS does not do)")
                    } else {
                        options.domains = domains.map { $0.lowercased() }
                    }
                }
            case "http_listen":
                if let text = string(full, value) {
                    if let address = ListenAddress(parsing: text) {
                        options.httpListen = address
                    } else {
                        problem(full, "\(text.debugDescription) is not \"address:port\" (IPv6: \"[::]:80\")")
                    }
                }
            case "ca_certificate":
                if let path = string(full, value) { options.caCertificate = path.isEmpty ? nil : path }
            case "renew_before":
                options.renewBefore = duration(full, value, minimum: .seconds(60)) ?? options.renewBefore
            default:
                problem(full, "unknown key")
            }
        }
        guard !options.directory.isEmpty else {
            if table["directory"] == nil { problem("tls.acme", "directory is missing: the CA's directory URL turns ACME on") }
            return
        }
        c.acme = options
        // `sims init` writes the self-signed pair's paths into sims.toml, so
        // those count as unset: the self-signed files stay as they are.
        let defaults = ServerConfiguration()
        if c.tlsCertificate == defaults.tlsCertificate { c.tlsCertificate = ACMEOptions.certificatePath }
        if c.tlsKey == defaults.tlsKey { c.tlsKey = ACMEOptions.keyPath }
    }
}
