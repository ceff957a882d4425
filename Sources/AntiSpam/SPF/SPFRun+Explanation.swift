import DNS

extension SPFRun {
    /// The explanation for a "fail" (RFC 7208 § 6.2): the single TXT record at
    /// the exp= domain, macros expanded. Any problem (bad name, DNS error, no
    /// or several records, a syntax error, non-ASCII text) means no
    /// explanation, never a different result. Not counted against the lookup
    /// limits: it is looked up at most once, after the result is known.
    func explanation(_ spec: SPFMacroString, domain: String) async -> String? {
        let name = await expand(spec, domain: domain)
        guard SPFDomainName.isValid(name), let texts = try? await resolver.txt(name), texts.count == 1,
            let template = try? SPFMacroString(Substring(texts[0]), explanation: true)
        else { return nil }
        let context = self.context
        let text = await template.expand { letter in
            await context.value(letter, domain: domain) { await self.validatedName(target: domain) }
        }
        // § 6.2: the explanation is ASCII; anything else is not shown.
        guard text.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else { return nil }
        return text
    }
}
