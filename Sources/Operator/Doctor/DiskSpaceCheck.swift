/// Free space where mail is stored. A full disk makes the server answer 452
/// to every message: nothing is lost, but nothing arrives either.
enum DiskSpaceCheck {
    static let gibibyte: UInt64 = 1 << 30

    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        guard let disk = facts.disk, disk.totalBytes > 0 else { return [] }
        let fraction = Double(disk.availableBytes) / Double(disk.totalBytes)
        let state =
            "\(size(disk.availableBytes)) free of \(size(disk.totalBytes)) (\(Int((fraction * 100).rounded()))%) "
            + "for \(disk.path)"
        let fix =
            "Free space or grow the file system; when it is full, the server refuses mail with 452 until there "
            + "is room again."
        if fraction < 0.02 {
            return [
                DoctorFinding(check: "disk", id: "disk.full", severity: .critical, found: "Disk almost full: \(state).", fix: fix)
            ]
        }
        if fraction < 0.10 || disk.availableBytes < gibibyte {
            return [
                DoctorFinding(check: "disk", id: "disk.low", severity: .warning, found: "Disk space low: \(state).", fix: fix)
            ]
        }
        return [DoctorFinding(check: "disk", id: "disk.ok", severity: .ok, found: "\(state).")]
    }

    /// `512 MiB`, `63.2 GiB`.
    static func size(_ bytes: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) \(units[unit])" : "\(rounded) \(units[unit])"
    }
}
