/// The version of SIMS, in one place: `sims --version`, the `serve` banner.
/// Raise it when a release is tagged.
public enum SIMSVersion {
    public static let current = "0.9.0"
}
