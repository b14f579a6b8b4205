#!/bin/sh
# Turns the text symbols of a linked kernel into a nasm file for the .ksyms
# section that kernel/ksyms.c searches: a count, then (address, name offset)
# pairs sorted by address, then the names. With no argument, an empty table.
# Usage: tools/ksyms.sh [ELF] > ksyms.asm
set -e
if [ $# -eq 0 ]; then
	syms=/dev/null
else
	syms=$(mktemp)
	trap 'rm -f "$syms"' EXIT
	nm -n --defined-only "$1" | awk '$2 ~ /^[tT]$/ { print $1, $3 }' > "$syms"
fi
awk '
{ addr[NR] = $1; name[NR] = $2 }
END {
	print "section .ksyms alloc noexec nowrite"
	print "global ksyms_count, ksyms_table, ksyms_names"
	print "align 8"
	print "ksyms_count: dq " NR
	print "ksyms_table:"
	off = 0
	for (i = 1; i <= NR; i++) {
		print "\tdq 0x" addr[i] ", " off
		off += length(name[i]) + 1
	}
	print "ksyms_names:"
	for (i = 1; i <= NR; i++)
		print "\tdb \"" name[i] "\", 0"
}' "$syms"
