// The POP3 server session state machine lives here (issue 5).
