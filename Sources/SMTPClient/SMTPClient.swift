// The outbound SMTP client lives here (issue 3).
