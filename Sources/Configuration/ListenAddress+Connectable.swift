extension ListenAddress {
    /// An address a client on this host can connect to for this listener:
    /// a wildcard listener (`0.0.0.0`, `::`) takes connections on loopback,
    /// and nothing can connect to the wildcard address itself (the banner's
    /// `swaks --server` example).
    public var connectable: ListenAddress {
        switch host {
        case "0.0.0.0": return ListenAddress(host: "127.0.0.1", port: port)
        case "::": return ListenAddress(host: "::1", port: port)
        default: return self
        }
    }
}
