#!/usr/bin/env bats
# The documentation against the tree (README.md and docs/*.md); starts
# no stack:
# - every relative link names a file that exists, and every #anchor into
#   a .md file names one of its headings;
# - every environment variable the code reads has a line in
#   docs/operations.md's configuration table, and every line there names
#   a variable the code reads;
# - README.md stays a front door: at most 200 lines, and its first code
#   block starts with the make run and make test lines (CI and the team
#   rely on them).
#
# Anchors follow GitHub's rule, kept simple: the heading's text in lower
# case, every character but a letter, a digit, a space, '-' and '_'
# dropped, then each space turned into '-' ("## Retries: Idempotency-Key"
# is #retries-idempotency-key).  GitHub's -1, -2 for a repeated heading
# and its keeping of non-ASCII letters are not followed: the documents
# have neither.

load fixtures

# The variables the code reads that are not configuration.
NOT_CONFIG=(
	MAX_LINES	# scripts/check-shape.sh: make check's longest function
	TMPDIR		# scripts/rotate-logs: the system's temporary folder
)

docs() {
	echo "$ROOT/README.md"
	ls "$ROOT"/docs/*.md
}

# Lines of a Markdown file outside its fenced code blocks, code spans
# removed.
prose() {
	awk '/^ *```/ { fence = !fence; next } !fence { gsub(/`[^`]*`/, ""); print }' "$1"
}

# The target of every inline link and image of a Markdown file.
links() {
	prose "$1" | grep -oE '\]\([^) ]+\)' | sed -E 's/^\]\((.*)\)$/\1/' || true
}

# The anchor of every heading of a Markdown file.
anchors() {
	awk '/^ *```/ { fence = !fence; next }
	    !fence && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
		LC_ALL=C tr 'A-Z' 'a-z' | LC_ALL=C sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}

# Every variable the programs and scripts read: getenv, env_or, env_int,
# env_number and path_in_var calls in the C code (calls may span lines),
# and ${NAME:-...} or ${NAME-...} in scripts/.
code_vars() {
	local f
	find "$ROOT/lib" "$ROOT/cgi" "$ROOT/worker" "$ROOT/archiver" "$ROOT/tools" -name '*.[ch]' |
	while read -r f; do
		tr '\n' ' ' <"$f" | grep -oE \
		    '\b(getenv|env_or|env_int|env_number)\( *"[A-Z][A-Z0-9_]*"|\bpath_in_var\([^";{}]*"[A-Z][A-Z0-9_]*"|\.env = "[A-Z][A-Z0-9_]*"' |
			grep -oE '"[A-Z][A-Z0-9_]*"$' | tr -d '"' || true
	done
	cat "$ROOT"/scripts/* | grep -oE '\$\{[A-Z][A-Z0-9_]*:?-' |
		sed -E 's/^\$\{([A-Z0-9_]+).*/\1/' || true
}

config_vars() {
	local v
	for v in $(code_vars | sort -u); do
		[[ " ${NOT_CONFIG[*]} " == *" $v "* ]] || echo "$v"
	done
}

# The variables named in the first column of docs/operations.md's
# Configuration table.
table_vars() {
	awk '/^## / { in_table = ($0 == "## Configuration") } in_table && /^\| `/' \
	    "$ROOT/docs/operations.md" | cut -d'|' -f2 |
		grep -oE '`[A-Z][A-Z0-9_]*`' | tr -d '`' | sort -u
}

@test "every relative link in README.md and docs/*.md names a file that exists" {
	local f t path bad=''
	for f in $(docs); do
		for t in $(links "$f"); do
			case $t in [a-z]*:*) continue ;; esac	# http:, mailto:...
			path=${t%%#*}
			[ -z "$path" ] || [ -e "$(dirname "$f")/$path" ] ||
				bad+="${f#"$ROOT"/}: $t"$'\n'
		done
	done
	[ -z "$bad" ] || { echo "links to nothing:"; echo "$bad"; false; }
}

@test "every #anchor in README.md and docs/*.md names a heading of its file" {
	local f t path file bad='' n=0
	for f in $(docs); do
		for t in $(links "$f"); do
			[[ $t == *#* ]] || continue
			case $t in [a-z]*:*) continue ;; esac	# http:, mailto:...
			path=${t%%#*}
			file=$f
			[ -z "$path" ] || file=$(dirname "$f")/$path
			case $file in *.md) ;; *) continue ;; esac
			[ -e "$file" ] || continue	# the test above says so
			n=$((n + 1))
			anchors "$file" | grep -qxF -- "${t#*#}" ||
				bad+="${f#"$ROOT"/}: $t"$'\n'
		done
	done
	[ -z "$bad" ] || { echo "anchors with no heading:"; echo "$bad"; false; }
	[ "$n" -gt 0 ]	# the links were found at all
}

@test "every environment variable the code reads has a line in docs/operations.md's configuration table" {
	local vars table missing=''
	vars=$(config_vars)
	table=$(table_vars)
	# The extraction works: a plain env_or, a multi-line path_in_var and
	# a script's default are found.
	for v in STREAM_KEY ACCOUNTS_DB RESTART_DELAY; do
		grep -qx "$v" <<<"$vars"
	done
	for v in $vars; do
		grep -qx "$v" <<<"$table" || missing+=" $v"
	done
	[ -z "$missing" ] || { echo "read by the code, not in the table:$missing"; false; }
}

@test "every variable in docs/operations.md's configuration table is read by the code" {
	local vars table unread=''
	vars=$(config_vars)
	table=$(table_vars)
	[ "$(wc -l <<<"$table")" -gt 40 ]	# the table was found
	for v in $table; do
		grep -qx "$v" <<<"$vars" || unread+=" $v"
	done
	[ -z "$unread" ] || { echo "in the table, read by no code:$unread"; false; }
}

@test "README.md is at most 200 lines" {
	local n
	n=$(wc -l <"$ROOT/README.md")
	[ "$n" -le 200 ] || { echo "README.md has $n lines"; false; }
}

@test "README.md begins with a code block whose first lines are make run and make test" {
	# Before the block only the title and blank lines; then the two lines.
	run awk '/^```/ { getline a; getline b; print a; print b; exit }
	    !/^# / && !/^$/ { print "before the block: " $0; exit }' "$ROOT/README.md"
	[ "$status" -eq 0 ]
	echo "$output"
	[[ ${lines[0]} == "make run "* ]]
	[[ ${lines[1]} == "make test "* ]]
}
