import Testing

@testable import ACME

@Suite struct HTTP01AnswerTests {
    let board: ChallengeBoard = {
        let board = ChallengeBoard()
        board.publish(token: "tok_EN-1", keyAuthorization: "tok_EN-1.thumb")
        return board
    }()

    @Test func answersAPublishedTokenOnly() {
        #expect(
            HTTP01Answer(method: "GET", target: "/.well-known/acme-challenge/tok_EN-1", board: board)
                == HTTP01Answer(status: 200, body: "tok_EN-1.thumb"))
        #expect(HTTP01Answer(method: "HEAD", target: "/.well-known/acme-challenge/tok_EN-1", board: board).status == 200)
        #expect(HTTP01Answer(method: "GET", target: "/.well-known/acme-challenge/other", board: board).status == 404)
        #expect(HTTP01Answer(method: "POST", target: "/.well-known/acme-challenge/tok_EN-1", board: board).status == 404)
    }

    @Test func nothingElseIsServed() {
        for target in [
            "/", "/index.html", "/.well-known/acme-challenge/", "/.well-known/acme-challenge/../../etc/passwd",
            "/.well-known/acme-challenge/%2e%2e/sims.toml", "/.well-known/acme-challenge/tok_EN-1?x=1",
            "/.well-known/acme-challenge/tok_EN-1/", "//.well-known/acme-challenge/tok_EN-1",
            "http://x/.well-known/acme-challenge/tok_EN-1",
        ] {
            #expect(HTTP01Answer(method: "GET", target: target, board: board).status == 404, "\(target)")
        }
    }
}
