# Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE.
# options.awk: turns `socketiod --help` into the roff OPTIONS list of
# socketiod(8) (mode=cmdline) or the SETTINGS list of socketiod.conf(5)
# (mode=conf), so the man pages never disagree with the daemon.
#
# Stands in for the options table (issue 16, item 1): once the table exists,
# it generates this list and this script goes.
#
# --help layout: "  -x, --name ARG   text" or "      --name ARG  text", text
# continued on lines indented 20+ columns, "  heading:" lines between groups.

function esc(s) {
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    return s
}
function text(s) {
    gsub(/\\/, "\\e", s)
    if (s ~ /^[.']/)
        s = "\\&" s
    return s
}
function flush() {
    if (spec == "")
        return
    if (mode == "conf") {
        if (long != "" && long != "config" && long != "help" && long != "version") {
            print ".TP"
            if (arg != "")
                print "\\fB" esc(long) "\\fR = \\fI" arg "\\fR"
            else
                print "\\fB" esc(long) "\\fR"
            print text(desc)
        }
    } else {
        print ".TP"
        print spec
        print text(desc)
    }
    spec = ""
}
/^usage:/ { next }
/^                    +[^ ]/ {
    sub(/^ +/, "")
    desc = desc " " $0
    next
}
/^  [a-z].*:$/ {
    flush()
    heading = $0
    sub(/^ +/, "", heading)
    sub(/ *\(.*\)/, "", heading)
    sub(/:$/, "", heading)
    print ".SS \"" toupper(substr(heading, 1, 1)) substr(heading, 2) "\""
    next
}
/^ +-/ {
    flush()
    line = $0
    sub(/^ +/, "", line)
    # The option part ends at two spaces; a lone "(default)" after it
    # belongs to the text.
    n = index(line, "  ")
    head = n ? substr(line, 1, n - 1) : line
    desc = n ? substr(line, n) : ""
    sub(/^ +/, "", desc)
    if (match(head, / \(.*$/)) {
        desc = substr(head, RSTART + 1) (desc != "" ? " " desc : "")
        head = substr(head, 1, RSTART - 1)
    }
    k = split(head, w, " ")
    long = ""; arg = ""; spec = ""
    for (i = 1; i <= k; i++) {
        t = w[i]
        if (t ~ /^--[a-z]/) {
            sub(/,$/, "", t)
            if (long == "")
                long = substr(t, 3)
            spec = spec (spec != "" ? " " : "") "\\fB" esc(t) "\\fR" (w[i] ~ /,$/ ? "," : "")
        } else if (t ~ /^-[A-Za-z]/) {
            spec = spec (spec != "" ? " " : "") "\\fB" esc(substr(t, 1, 2)) "\\fR" (t ~ /,$/ ? "," : "")
        } else {
            arg = t
            spec = spec " \\fI" t "\\fR"
        }
    }
    if (desc == "")
        desc = (long == "help") ? "Print this list, or the version, and exit." : ""
    next
}
END { flush() }
