/// Limits how many deliveries run at once to one destination domain, so a
/// burst for one provider does not open hundreds of connections to it.
actor DomainSlots {
    private let limit: Int
    private var inUse: [String: Int] = [:]
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    init(limit: Int) { self.limit = max(1, limit) }

    func acquire(_ domain: String) async {
        if inUse[domain, default: 0] < limit {
            inUse[domain, default: 0] += 1
            return
        }
        await withCheckedContinuation { waiters[domain, default: []].append($0) }
    }

    func release(_ domain: String) {
        if var queue = waiters[domain], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[domain] = queue.isEmpty ? nil : queue
            next.resume()  // the slot passes directly to the next waiter
            return
        }
        let remaining = inUse[domain, default: 1] - 1
        inUse[domain] = remaining > 0 ? remaining : nil
    }
}
