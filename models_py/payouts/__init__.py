"""Commission payouts (PAYOUTS.md): plan files, the rules, the finance tables, the checks."""
