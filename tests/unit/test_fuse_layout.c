/*
 * fs/virtiofs/fuse.h, our transcription of the FUSE protocol, against the
 * host's <linux/fuse.h>: every struct has the same size and every field the
 * same offset and size; every opcode and flag the same value. The host side
 * is built in fuse_layout_linux.c (the two headers define the same names);
 * both sides come from one list, fuse_layout_list.h, and the first case
 * reads fuse.h itself so that nothing added there escapes the comparison.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/virtiofs/fuse.h"
#include "fuse_layout.h"
#include "check.h"

#define FUSE_H "../../fs/virtiofs/fuse.h"       /* run-tests runs us in tests/unit */

#define S(s)          { #s, NULL, 0, sizeof(struct s) },
#define F(s, f)       { #s, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f) },
#define FX(s, f)      { #s, #f, offsetof(struct s, f), 0 },
#define C(n)          { #n, LAYOUT_VALUE(n), 0 },
#define CN(n, minor)  { #n, LAYOUT_VALUE(n), minor },

static const struct layout_entry layout_ours[] = {
#define FUSE_LAYOUT_STRUCTS
#include "fuse_layout_list.h"
#undef FUSE_LAYOUT_STRUCTS
};
static const size_t layout_ours_n = sizeof layout_ours / sizeof layout_ours[0];

static const struct layout_const consts_ours[] = {
#define FUSE_LAYOUT_CONSTANTS
#include "fuse_layout_list.h"
#undef FUSE_LAYOUT_CONSTANTS
};
static const size_t consts_ours_n = sizeof consts_ours / sizeof consts_ours[0];

/* Names in fuse.h that are ours alone, and why. */
static const char *const ours_only[] = {
	"FUSE_KERNEL_MINOR_VERSION",    /* what we announce: our choice, not the host's */
	"FUSE_MIN_MINOR",               /* our policy */
	"FUSE_OP_MAX",                  /* our table bound */
	"FUSE_DEFAULT_MAX_PAGES",       /* Linux keeps these two in fs/fuse/fuse_i.h, */
	"FUSE_MAX_MAX_PAGES",           /* outside the uapi header */
	"FUSE_DIRENT_ALIGN",            /* a function: dirent_align_matches_host */
};

static const struct layout_entry *find_entry(const struct layout_entry *t, size_t n,
					     const char *strct, const char *field)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].strct, strct) == 0 &&
		    (field ? t[i].field && strcmp(t[i].field, field) == 0 : !t[i].field))
			return &t[i];
	return NULL;
}

static const struct layout_const *find_const(const struct layout_const *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static bool is_ours_only(const char *name)
{
	for (size_t i = 0; i < sizeof ours_only / sizeof ours_only[0]; i++)
		if (strcmp(ours_only[i], name) == 0)
			return true;
	return false;
}

/* fuse.h with comments blanked out (newlines kept); NULL if unreadable. */
static char *read_header(void)
{
	FILE *f = fopen(FUSE_H, "r");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	for (char *p = s; p && *p; p++) {
		if (p[0] == '/' && p[1] == '*') {
			for (; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p != '\n')
					*p = ' ';
			if (*p)
				p[0] = p[1] = ' ';
		} else if (p[0] == '/' && p[1] == '/') {
			for (; *p && *p != '\n'; p++)
				*p = ' ';
		}
	}
	return s;
}

/* The identifier that ends s[0..n) (after cutting "[...]"), into out. */
static void last_ident(const char *s, size_t n, char *out, size_t outn)
{
	const char *br = memchr(s, '[', n);
	size_t e, b;

	if (br)
		n = (size_t)(br - s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	e = b = n;
	while (b && (isalnum((unsigned char)s[b - 1]) || s[b - 1] == '_'))
		b--;
	snprintf(out, outn, "%.*s", (int)(e - b), s + b);
}

/* Every struct, field, #define and enum constant in fuse.h is in
 * fuse_layout_list.h (or ours_only[]), so the comparisons below cover the
 * whole header. */
static void list_covers_our_header(void)
{
	char *text = read_header(), *save = NULL, strct[64] = "", name[64];
	enum { NONE, STRUCT, ENUM } in = NONE;
	unsigned nstruct = 0, nfield = 0, nconst = 0;

	if (!text) {
		CHECK_FAIL("to read " FUSE_H, "fopen/fread failing");
		return;
	}
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int n = 0;

		while (isspace((unsigned char)*line))
			line++;
		if (in != NONE && strncmp(line, "};", 2) == 0) {
			in = NONE;
		} else if (in == STRUCT) {
			/* One or more "type name;" or "type name[N];". */
			for (char *p = line, *semi; (semi = strchr(p, ';')); p = semi + 1) {
				last_ident(p, (size_t)(semi - p), name, sizeof name);
				nfield++;
				if (!find_entry(layout_ours, layout_ours_n, strct, name)) {
					char what[160];
					snprintf(what, sizeof what, "F(%s, %s) in fuse_layout_list.h", strct, name);
					CHECK_FAIL(what, "it missing");
				}
			}
		} else if (in == ENUM) {
			if (sscanf(line, "%63[A-Za-z0-9_]", name) == 1) {
				nconst++;
				if (!find_const(consts_ours, consts_ours_n, name) && !is_ours_only(name))
					CHECK_FAIL(name, "it missing from the constants in fuse_layout_list.h");
			}
		} else if (sscanf(line, "#define %63[A-Za-z0-9_]%n", name, &n) == 1 && n) {
			nconst++;
			if (!find_const(consts_ours, consts_ours_n, name) && !is_ours_only(name))
				CHECK_FAIL(name, "it missing from the constants in fuse_layout_list.h");
		} else if (sscanf(line, "struct %63[A-Za-z0-9_] %n", strct, &n) == 1 && n && line[n] == '{') {
			in = STRUCT;
			nstruct++;
			if (!find_entry(layout_ours, layout_ours_n, strct, NULL))
				CHECK_FAIL(strct, "it missing from the structs in fuse_layout_list.h");
		} else if (strncmp(line, "enum ", 5) == 0 && strchr(line, '{')) {
			in = ENUM;
		}
	}
	free(text);
	/* The parser found the header's contents (38 structs, 174 fields, 118
	 * constants when this was written), so an empty pass means nothing. */
	CHECK(nstruct >= 30);
	CHECK(nfield >= 150);
	CHECK(nconst >= 100);
}

/* Each struct has the host's size; each field the host's offset and size. */
static void struct_layouts_match_host(void)
{
	CHECK_EQ(layout_ours_n, layout_host_n);
	for (size_t i = 0; i < layout_ours_n; i++) {
		const struct layout_entry *o = &layout_ours[i];
		const struct layout_entry *h = find_entry(layout_host, layout_host_n, o->strct, o->field);
		char what[128], e[200], s[64];

		snprintf(what, sizeof what, "%s%s%s", o->strct, o->field ? "." : "", o->field ? o->field : "");
		if (!h) {
			CHECK_FAIL(what, "no host entry");
			continue;
		}
		if (o->offset == h->offset && o->size == h->size)
			continue;
		snprintf(e, sizeof e, "%s at %zu size %zu (host)", what, h->offset, h->size);
		snprintf(s, sizeof s, "at %zu size %zu (ours)", o->offset, o->size);
		CHECK_FAIL(e, s);
	}
}

/* Every opcode and flag has the host's value; one the host header lacks
 * must be newer than the host's protocol minor. */
static void constants_match_host(void)
{
	unsigned compared = 0;

	for (size_t i = 0; i < consts_ours_n; i++) {
		const struct layout_const *o = &consts_ours[i];
		const struct layout_const *h = find_const(consts_host, consts_host_n, o->name);
		char e[96], s[96];

		if (!h) {
			if (o->minor <= layout_host_minor) {
				snprintf(e, sizeof e, "%s in the host header (7.%u)", o->name, layout_host_minor);
				snprintf(s, sizeof s, "it missing, though ours says it is from 7.%u", o->minor);
				CHECK_FAIL(e, s);
			}
			continue;
		}
		compared++;
		if (o->value != h->value) {
			snprintf(e, sizeof e, "%s = 0x%llx (host)", o->name, (unsigned long long)h->value);
			snprintf(s, sizeof s, "0x%llx (ours)", (unsigned long long)o->value);
			CHECK_FAIL(e, s);
		}
	}
	CHECK(compared >= 100);
}

/* FUSE_DIRENT_ALIGN rounds as the host's does. */
static void dirent_align_matches_host(void)
{
	static const uint64_t big[] = { 0xfffffff8, 0xfffffff9, UINT64_C(1) << 40 };

	for (uint64_t x = 0; x < 64; x++)
		if (!CHECK_EQ(layout_host_dirent_align(x), FUSE_DIRENT_ALIGN(x)))
			return;
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
		CHECK_EQ(layout_host_dirent_align(big[i]), FUSE_DIRENT_ALIGN(big[i]));
}

int main(void)
{
	RUN(list_covers_our_header);
	RUN(struct_layouts_match_host);
	RUN(constants_match_host);
	RUN(dirent_align_matches_host);
	return CHECK_DONE();
}
