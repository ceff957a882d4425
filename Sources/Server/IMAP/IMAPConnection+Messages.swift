import Foundation
import IMAPProtocol
import MailCore
import MailStore

/// FETCH, STORE, SEARCH, COPY and MOVE: the commands on messages of the
/// selected folder.
extension IMAPConnection {
    /// Messages read and rendered per trip to the storage pool: large enough
    /// to amortise the hop, small enough to bound what waits in memory.
    static let fetchBatch = 64
    static let fetchBatchBytes = 4 << 20
    /// Messages a SEARCH reads per job on the storage pool.
    static let searchChunk = 256
    /// A single message up to this size is read on the event loop when the
    /// page cache holds it (see `MailboxStore.contentsIfCached`).
    static let inlineLimit = 256 * 1024

    func fetch(_ set: SequenceSet, _ requested: [FetchAttribute], uid: Bool, tag: String, store: MailboxStore) async throws {
        if let update = try await refreshSelected(expungesAllowed: false, includeUID: uid) { write(update) }
        guard let folder = selected else { return }
        guard let indices = folder.view.indices(set, uid: uid, saved: savedSearch) else {
            write("\(tag) BAD Invalid message sequence number\r\n")
            return
        }
        var attributes = requested
        if uid, !attributes.contains(.uid) { attributes.insert(.uid, at: 0) }
        let live = indices.filter { !folder.view.vanished.contains(folder.view.messages[$0].uid) }
        // Reading a body without PEEK sets \Seen (RFC 9051 § 6.4.5); FLAGS then comes along.
        if !folder.view.readOnly, attributes.contains(where: \.setsSeen) {
            let unseen = live.map { folder.view.messages[$0] }.filter { !$0.flags.contains("\\Seen") }.map(\.uid)
            if !unseen.isEmpty {
                let name = folder.storageName
                let updated = try await changingSelected(when: true) {
                    try store.store(.add, systemFlags: ["\\Seen"], keywords: [], uids: unseen, in: name)
                }
                for message in updated {
                    folder.view.setFlags(folder.flags(of: message), uid: message.uid)
                    folder.messages[message.uid] = message
                }
                selected = folder
                if let account { services.notifier.changed([account], except: channel.channel) }
                if !attributes.contains(.flags) { attributes.append(.flags) }
            }
        }
        let needsContent = attributes.contains(where: \.needsContent)
        let headerOnly = attributes.allSatisfy(\.needsOnlyHeader)
        let folderName = folder.storageName
        var start = 0
        while start < live.count {
            // Up to 64 messages, but no more than `fetchBatchBytes` of files
            // unless one message alone is larger: what waits in memory
            // before it is written stays bounded (FETCH 1:* BODY[] of a
            // folder of 50 MB messages must not hold gigabytes).
            var end = start
            var bytes = 0
            while end < live.count, end - start < Self.fetchBatch, end == start || bytes < Self.fetchBatchBytes || !needsContent {
                bytes += folder.messages[folder.view.messages[live[end]].uid]?.size ?? 0
                end += 1
            }
            let batch = live[start..<end]
            start = end
            let items = batch.compactMap { index -> FetchItem? in
                let message = folder.view.messages[index]
                guard let stored = folder.messages[message.uid] else { return nil }
                return FetchItem(sequence: index + 1, message: stored, flags: message.flags)
            }
            let fetchAttributes = attributes
            if needsContent, !headerOnly, items.count == 1, let item = items.first, item.message.size <= Self.inlineLimit,
                let content = store.contentsIfCached(of: item.message)
            {
                write(FetchResponse.render(item.facts, attributes: fetchAttributes, content: MessageLineEnds.crlf(content)))
            } else if needsContent {
                let responses = try await onPool {
                    items.map { item in
                        let content =
                            headerOnly
                            ? (try? store.header(of: item.message, in: folderName)).flatMap { $0 }
                            : (try? store.contents(of: item.message, in: folderName)).flatMap { $0 }
                        return FetchResponse.render(
                            item.facts, attributes: fetchAttributes, content: content.map(MessageLineEnds.crlf))
                    }
                }
                for response in responses { write(response) }
            } else {
                for item in items { write(FetchResponse.render(item.facts, attributes: fetchAttributes, content: nil)) }
            }
            // Written out before the next batch is read (backpressure).
            // (The last batch leaves with the tagged reply, in one write.)
            if needsContent, start < live.count { try await flush() } else { try await flushIfLarge() }
        }
        write("\(tag) OK FETCH completed\r\n")
    }

    func storeFlags(_ set: SequenceSet, _ action: StoreAction, uid: Bool, tag: String, store: MailboxStore) async throws {
        if let update = try await refreshSelected(expungesAllowed: false, includeUID: uid) { write(update) }
        guard let folder = selected else { return }
        if folder.view.readOnly {
            write("\(tag) NO [READ-ONLY] Mailbox is read-only\r\n")
            return
        }
        guard let indices = folder.view.indices(set, uid: uid, saved: savedSearch) else {
            write("\(tag) BAD Invalid message sequence number\r\n")
            return
        }
        let uids = indices.map { folder.view.messages[$0].uid }.filter { !folder.view.vanished.contains($0) }
        let system = action.flags.filter { $0.hasPrefix("\\") }
        let keywords = action.flags.filter { !$0.hasPrefix("\\") }
        let operation: FlagOperation
        switch action.operation {
        case .add: operation = .add
        case .remove: operation = .remove
        case .replace: operation = .replace
        }
        let name = folder.storageName
        let updated =
            uids.isEmpty
            ? []
            : try await changingSelected(when: true) {
                try store.store(operation, systemFlags: system, keywords: keywords, uids: uids, in: name)
            }
        for message in updated {
            folder.view.setFlags(folder.flags(of: message), uid: message.uid)
            folder.messages[message.uid] = message
        }
        selected = folder
        if !action.silent {
            for message in updated {
                guard let sequence = folder.view.sequence(of: message.uid) else { continue }
                let uidItem = uid ? "UID \(message.uid) " : ""
                write("* \(sequence) FETCH (\(uidItem)FLAGS \(IMAPResponseText.flagList(folder.flags(of: message))))\r\n")
            }
        }
        if !updated.isEmpty, let account { services.notifier.changed([account], except: channel.channel) }
        write("\(tag) OK STORE completed\r\n")
    }

    func search(_ arguments: [IMAPValue], uid: Bool, tag: String, rev2: Bool, store: MailboxStore) async throws {
        let command: SearchCommand
        do {
            command = try SearchCommand.parse(arguments)
        } catch {
            // A response code (BADCHARSET) makes it NO; anything else is a syntax error.
            write("\(tag) \(error.reason.hasPrefix("[") ? "NO" : "BAD") \(error.reason)\r\n")
            return
        }
        if let update = try await refreshSelected(expungesAllowed: false, includeUID: uid) { write(update) }
        guard let folder = selected else { return }
        let evaluator = SearchEvaluator(
            key: command.key, lastSequence: UInt32(folder.view.count), lastUID: folder.view.messages.last?.uid ?? 0,
            savedResult: savedSearch)
        var candidates: [(SearchCandidate, FolderMessage)] = []
        candidates.reserveCapacity(folder.view.count)
        for (index, message) in folder.view.messages.enumerated() {
            guard let stored = folder.messages[message.uid], !folder.view.vanished.contains(message.uid) else { continue }
            let candidate = SearchCandidate(
                sequence: UInt32(index + 1), uid: message.uid, systemFlags: Set(message.flags.filter { $0.hasPrefix("\\") }),
                keywords: Set(message.flags.filter { !$0.hasPrefix("\\") }), size: UInt32(clamping: stored.size),
                internalDate: stored.internalDate)
            candidates.append((candidate, stored))
        }
        let matching: [SearchCandidate]
        if evaluator.needsMessage {
            let name = folder.storageName
            let headerOnly = !command.key.needsBody
            // In jobs of a few hundred messages: the storage pool is shared
            // with SMTP delivery, which must not wait behind one long search.
            var found: [SearchCandidate] = []
            var start = 0
            while start < candidates.count {
                let chunk = Array(candidates[start..<min(start + Self.searchChunk, candidates.count)])
                start += Self.searchChunk
                found += try await onPool {
                    chunk.filter { candidate, stored in
                        let content =
                            headerOnly
                            ? (try? store.header(of: stored, in: name)).flatMap { $0 }
                            : (try? store.contents(of: stored, in: name)).flatMap { $0 }
                        return evaluator.matches(candidate, message: content.map { MIMEMessage(MessageLineEnds.crlf($0)) })
                    }.map(\.0)
                }
            }
            matching = found
        } else {
            matching = candidates.filter { evaluator.matches($0.0, message: nil) }.map(\.0)
        }
        let options = command.returnOptions
        if options?.contains(.save) == true { savedSearch = matching.map(\.uid) }
        let numbers = matching.map { uid ? $0.uid : $0.sequence }
        if options != [.save] {
            write(SearchResponse.lines(tag: tag, uid: uid, matches: numbers, options: options, esearch: rev2 || options != nil))
        }
        write("\(tag) OK SEARCH completed\r\n")
    }

    func copy(_ set: SequenceSet, to destination: String, uid: Bool, move: Bool, tag: String, store: MailboxStore) async throws {
        if let update = try await refreshSelected(expungesAllowed: false, includeUID: uid) { write(update) }
        guard let folder = selected else { return }
        if move, folder.view.readOnly {
            write("\(tag) NO [READ-ONLY] Mailbox is read-only\r\n")
            return
        }
        guard let indices = folder.view.indices(set, uid: uid, saved: savedSearch) else {
            write("\(tag) BAD Invalid message sequence number\r\n")
            return
        }
        let uids = indices.map { folder.view.messages[$0].uid }.filter { !folder.view.vanished.contains($0) }
        guard !uids.isEmpty else {
            write("\(tag) OK No messages \(move ? "moved" : "copied")\r\n")
            return
        }
        let adding = uids.compactMap { folder.messages[$0]?.size }.reduce(0, +)
        if !move { guard try await quotaAllows(adding, tag: tag, store: store) else { return } }
        let source = folder.storageName
        let hostname = services.hostname
        let (validity, mapping) = try await onPool {
            try store.copy(uids: uids, from: source, to: destination, hostname: hostname)
        }
        guard !mapping.isEmpty else {
            // Every chosen message was expunged meanwhile: no COPYUID with empty sets.
            write("\(tag) OK No messages \(move ? "moved" : "copied")\r\n")
            return
        }
        if !move, let account { services.quota.add(Int64(adding), to: [account]) }
        let code = "[COPYUID \(validity) \(UIDSetText.compact(mapping.map(\.0))) \(UIDSetText.compact(mapping.map(\.1)))]"
        logger.info(
            "\(move ? "moved" : "copied") \(mapping.count) message(s) from \(LogField.text(source)) to \(LogField.text(destination))"
        )
        if let account { services.notifier.changed([account], except: channel.channel) }
        if move {
            write("* OK \(code) Moved\r\n")
            let moved = mapping.map(\.0)
            let removed = try await changingSelected(when: true) { try store.expunge(uids: moved, in: source) }
            if ownChangeAdopted, let current = selected {
                write(current.removeOwn(Set(removed)))
            } else if let update = try await refreshSelected(expungesAllowed: true, includeUID: uid, force: true) {
                write(update)
            }
            write("\(tag) OK MOVE completed\r\n")
        } else {
            if destination == source, let update = try await refreshSelected(expungesAllowed: false, includeUID: uid, force: true)
            {
                write(update)
            }
            write("\(tag) OK \(code) COPY completed\r\n")
        }
    }
}

/// One message to render in a FETCH response.
struct FetchItem: Sendable {
    var sequence: Int
    var message: FolderMessage
    var flags: [String]

    var facts: FetchFacts {
        FetchFacts(
            sequence: sequence, uid: message.uid, flags: flags, size: message.size, internalDate: message.internalDate)
    }
}

/// UID sets as RFC 4315 writes them: ascending runs joined (`3:5,9`).
/// The order is kept, so a COPYUID's two sets pair up message by message.
enum UIDSetText {
    static func compact(_ uids: [UInt32]) -> String {
        var parts: [String] = []
        var index = 0
        while index < uids.count {
            var end = index
            while end + 1 < uids.count, uids[end + 1] == uids[end] &+ 1 { end += 1 }
            parts.append(end == index ? "\(uids[index])" : "\(uids[index]):\(uids[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}
