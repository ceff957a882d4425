import Foundation
import MailCore
import Testing

@testable import Configuration

/// Reading the default gateways from the kernel's route tables, as text.
@Suite("RouteTable: the default gateways from /proc/net/route and /proc/net/ipv6_route")
struct RouteTableTests {
    // As this machine's kernel printed them (little-endian words).
    let route = """
        Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
        eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
        eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
        docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
        """
    let ipv6Route = """
        fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
        00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
        00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
        00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
        """

    @Test("The IPv4 default route's gateway, in the kernel's byte order; other routes are not gateways")
    func ipv4() {
        #expect(RouteTable.ipv4DefaultGateways(route) == [IPAddress("192.168.1.1")])
    }

    @Test("Several default routes (metrics) give each gateway once; an on-link default route has none")
    func severalAndOnLink() {
        let text = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
            wlan0\t00000000\t010011AC\t0003\t0\t0\t600\t00000000\t0\t0\t0
            eth1\t00000000\t0101A8C0\t0003\t0\t0\t700\t00000000\t0\t0\t0
            ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0
            eth2\t00000000\t0102A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0
            """
        #expect(RouteTable.ipv4DefaultGateways(text) == ["192.168.1.1", "172.17.0.1"].compactMap(IPAddress.init))
    }

    @Test("The IPv6 default route's next hop; unreachable and on-link routes are not gateways")
    func ipv6() {
        #expect(RouteTable.ipv6DefaultGateways(ipv6Route) == [IPAddress("fe80::1")])
    }

    @Test("Garbage, short lines and an empty file give nothing and never trap")
    func garbage() {
        for text in [
            "", "\n\n", "Iface\n\u{0}\u{1}", "eth0 00000000", "x\teth0\t00000000\tZZZZZZZZ\t0003\t0\t0\t0\t00000000",
            "00000000000000000000000000000000 00 0 00 fe8 00000400 00000002 00000000 00000003 eth0",
            "00000000000000000000000000000000 00 0 00 fe80000000000000000000000000000g 0 0 0 00000003 eth0",
        ] {
            #expect(RouteTable.ipv4DefaultGateways(text).isEmpty)
            #expect(RouteTable.ipv6DefaultGateways(text).isEmpty)
        }
    }

    @Test("read(from:) reads both files of a directory; a missing file adds nothing")
    func readDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("routes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(RouteTable.read(from: directory).isEmpty)
        try route.write(toFile: directory + "/route", atomically: true, encoding: .utf8)
        #expect(RouteTable.read(from: directory) == [IPAddress("192.168.1.1")])
        try ipv6Route.write(toFile: directory + "/ipv6_route", atomically: true, encoding: .utf8)
        #expect(RouteTable.read(from: directory) == ["192.168.1.1", "fe80::1"].compactMap(IPAddress.init))
    }

    @Test("The log line names the gateways and reads back")
    func logLine() {
        let gateways = ["192.168.1.1", "fd00::1"].compactMap(IPAddress.init)
        let line = RouteTable.logLine(gateways)
        #expect(line.hasPrefix("default gateways: 192.168.1.1, fd00::1 ("))
        #expect(RouteTable.parseLogLine(line.dropFirst(RouteTable.logPrefix.count)) == gateways)
        #expect(RouteTable.logLine([]) == "default gateways: none")
        #expect(RouteTable.parseLogLine("none").isEmpty)
    }
}
