import DNS
import Testing

/// A well-formed reply with compression, used as the base for damage.
private func wellFormed() -> [UInt8] {
    response(type: 15, answers: 2) { wire in
        wire.name("", pointer: questionOffset)
        wire.record(type: 15) { rdata in
            rdata.u16(10)
            rdata.name("mx1", pointer: questionOffset)
        }
        wire.name("", pointer: questionOffset)
        wire.record(type: 16) { rdata in
            rdata.u8(3)
            rdata.raw(Array("abc".utf8))
        }
    }
}

@Suite("DNSMessage decoding of malformed input")
struct MalformedMessageTests {
    @Test("Every proper prefix of a valid reply throws")
    func everyTruncation() throws {
        let bytes = wellFormed()
        _ = try DNSMessage(decoding: bytes)
        for length in 0..<bytes.count {
            #expect(throws: DNSWireError.self, "prefix of \(length) octets") {
                try DNSMessage(decoding: Array(bytes[..<length]))
            }
        }
    }

    @Test("A pointer to itself is a loop")
    func selfPointer() {
        var wire = WireBuilder.header()
        wire.name("", pointer: questionOffset)  // the question name points at itself
        wire.u16(1)
        wire.u16(1)
        #expect(throws: DNSWireError.pointerLoop(12)) { try DNSMessage(decoding: wire.bytes) }
    }

    @Test("Two pointers pointing at each other are a loop")
    func mutualPointers() {
        // Question at 12: "a" then a pointer to 20; at 20, in the answer: a
        // pointer back to 12. Following them would never end.
        var wire = WireBuilder.header(an: 1)
        wire.name("a", pointer: 20)  // 12: 01 'a' C0 14
        wire.u16(1)
        wire.u16(1)  // 16..19
        wire.name("", pointer: 12)  // 20: C0 0C
        wire.record(type: 1) { $0.raw([1, 2, 3, 4]) }
        #expect(throws: DNSWireError.self) { try DNSMessage(decoding: wire.bytes) }
        do {
            _ = try DNSMessage(decoding: wire.bytes)
        } catch {
            guard case .pointerLoop = error else {
                Issue.record("expected a pointer loop, got \(error)")
                return
            }
        }
    }

    @Test("A forward pointer is refused even when it would terminate")
    func forwardPointer() {
        var wire = WireBuilder.header(an: 1)
        wire.name("", pointer: 18)  // 12: points past itself, at the answer's name
        wire.u16(1)
        wire.u16(1)  // 14..17
        wire.name("x")  // 18
        wire.record(type: 1) { $0.raw([1, 2, 3, 4]) }
        #expect(throws: DNSWireError.pointerLoop(12)) { try DNSMessage(decoding: wire.bytes) }
    }

    @Test("A pointer beyond the end of the message")
    func pointerOutOfRange() {
        var wire = WireBuilder.header(an: 1)
        wire.question("example.com", type: 1)
        wire.name("", pointer: 0x3FFF)
        wire.record(type: 1) { $0.raw([1, 2, 3, 4]) }
        #expect(throws: DNSWireError.pointerOutOfRange(29)) { try DNSMessage(decoding: wire.bytes) }
    }

    @Test("Label types 01 and 10 are reserved", arguments: [UInt8(0x40), 0x80])
    func reservedLabelType(byte: UInt8) {
        var wire = WireBuilder.header()
        wire.u8(byte)
        wire.raw([0, 0, 0, 1, 0, 1])
        #expect(throws: DNSWireError.reservedLabelType(byte)) { try DNSMessage(decoding: wire.bytes) }
    }

    @Test("A name over 255 octets built from pointers is refused")
    func nameTooLong() {
        // Four 63-octet labels (256 octets with the root) reached through a pointer.
        var wire = WireBuilder.header(an: 1)
        let label = String(repeating: "x", count: 63)
        wire.question("\(label).\(label).\(label)", type: 1)  // 12: 3 × 64 + 1 = 193 octets
        wire.name(label, pointer: questionOffset)
        wire.record(type: 1) { $0.raw([1, 2, 3, 4]) }
        #expect(throws: DNSWireError.nameTooLong) { try DNSMessage(decoding: wire.bytes) }
    }

    @Test(
        "RDLENGTH that does not fit the type",
        arguments: [
            (UInt16(1), [UInt8](repeating: 1, count: 5)),
            (UInt16(28), [UInt8](repeating: 1, count: 4)),
            (UInt16(15), [UInt8]([0, 10])),
            (UInt16(16), [UInt8]([5, 0x61])),
        ] as [(UInt16, [UInt8])])
    func badRecordData(type: UInt16, rdata: [UInt8]) {
        let bytes = response(type: type, answers: 1) { wire in
            wire.name("", pointer: questionOffset)
            wire.record(type: type) { $0.raw(rdata) }
        }
        #expect(throws: DNSWireError.invalidRecordData(DNSRecordType(rawValue: type))) {
            try DNSMessage(decoding: bytes)
        }
    }

    @Test("A name in RDATA that runs past RDLENGTH")
    func nameOverrunsRecord() {
        let bytes = response(type: 5, answers: 1) { wire in
            wire.name("", pointer: questionOffset)
            wire.record(type: 5, length: 3) { $0.name("target", pointer: questionOffset) }
        }
        #expect(throws: DNSWireError.invalidRecordData(.cname)) { try DNSMessage(decoding: bytes) }
    }

    @Test("RDLENGTH beyond the end of the message")
    func rdlengthPastEnd() {
        let bytes = response(type: 1, answers: 1) { wire in
            wire.name("", pointer: questionOffset)
            wire.record(type: 1, length: 400) { $0.raw([1, 2, 3, 4]) }
        }
        #expect(throws: DNSWireError.truncated) { try DNSMessage(decoding: bytes) }
    }

    @Test("Counts claiming more records than there are")
    func inflatedCounts() {
        var wire = WireBuilder.header(qd: 0xFFFF, an: 0xFFFF, ns: 0xFFFF, ar: 0xFFFF)
        wire.question("example.com", type: 1)
        #expect(throws: DNSWireError.truncated) { try DNSMessage(decoding: wire.bytes) }
    }

    @Test("Damaged replies throw or decode, never trap")
    func mutations() {
        // Every single-octet change of a real reply, with a few telling values,
        // plus deterministic pseudo-random garbage. The test fails by crashing.
        let base = wellFormed()
        var decoded = 0
        for index in base.indices {
            for value: UInt8 in [0x00, 0x01, 0x3F, 0x40, 0xC0, 0xFF, base[index] &+ 1] {
                var damaged = base
                damaged[index] = value
                if (try? DNSMessage(decoding: damaged)) != nil { decoded += 1 }
            }
        }
        var generator = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let count = Int(generator.next() % 128)
            let garbage = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? DNSMessage(decoding: garbage)
        }
        #expect(decoded > 0)  // most octets (TTLs, address bytes) may change harmlessly
    }
}

/// A small seeded generator, so that the garbage is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
