// The DNS stub resolver lives here (issue 3).
