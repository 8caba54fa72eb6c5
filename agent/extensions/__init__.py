"""Extensions: the numbers phones register as, and their SIP credentials."""
