/*
 * The vnode table: one live vnode per (mount, node id), reference counted.
 * The lifecycle is described in fs/vnode.h.
 */
#include <stdint.h>
#include <string.h>

#include "fs/vnode.h"
#include "kernel/heap.h"
#include "kernel/panic.h"

#define VNODE_HASH 256

static struct vnode *table[VNODE_HASH];
static int live;

static unsigned hash(struct mount *m, uint64_t nodeid)
{
	uint64_t h = nodeid * 0x9e3779b97f4a7c15ull ^ (uintptr_t)m;
	return (unsigned)(h >> 56) % VNODE_HASH;
}

struct vnode *vnode_ref(struct vnode *vn)
{
	vn->refs++;
	return vn;
}

struct vnode *vnode_get(struct mount *mnt, uint64_t nodeid, mode_t type)
{
	unsigned h = hash(mnt, nodeid);
	struct vnode *vn;

	for (vn = table[h]; vn; vn = vn->hnext) {
		if (vn->mnt == mnt && vn->nodeid == nodeid) {
			/* A node's type never changes while the server keeps
			 * its id; if it reports another, the id was reused
			 * for a new file after we forgot... while we hold it,
			 * that is the server's bug. Keep ours. */
			return vnode_ref(vn);
		}
	}
	vn = kmalloc(sizeof(*vn));
	if (!vn)
		return NULL;
	vn->mnt = mnt;
	vn->nodeid = nodeid;
	vn->type = type & S_IFMT;
	vn->refs = 1;
	vn->hnext = table[h];
	table[h] = vn;
	live++;
	return vn;
}

void vnode_set_parent(struct vnode *vn, struct vnode *parent, const char *name)
{
	size_t n = strlen(name);
	char *copy;

	if (vn == parent)
		return;
	if (vn->parent == parent && vn->name && !strcmp(vn->name, name))
		return;
	copy = kmalloc(n + 1);
	if (!copy)
		return;         /* keep the old parent: only ".." and getcwd use it */
	memcpy(copy, name, n + 1);
	vnode_ref(parent);
	vnode_put(vn->parent);
	kfree(vn->name);
	vn->parent = parent;
	vn->name = copy;
}

void vnode_put(struct vnode *vn)
{
	while (vn) {
		struct vnode **pp, *parent;

		if (vn->refs <= 0)
			panic("vnode: put of node %lu with %d references", vn->nodeid, vn->refs);
		if (--vn->refs > 0)
			return;
		for (pp = &table[hash(vn->mnt, vn->nodeid)]; *pp != vn; pp = &(*pp)->hnext)
			if (!*pp)
				panic("vnode: node %lu missing from the table", vn->nodeid);
		*pp = vn->hnext;
		live--;
		if (vn->mnt->ops->forget)
			vn->mnt->ops->forget(vn);
		parent = vn->parent;
		kfree(vn->name);
		kfree(vn);
		vn = parent;    /* drop the child's reference on its parent */
	}
}

int vnode_count(void)
{
	return live;
}

void vnode_renamed(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
		   bool exchange)
{
	struct vnode *moved = NULL, *other = NULL;

	for (unsigned h = 0; h < VNODE_HASH; h++) {
		for (struct vnode *vn = table[h]; vn; vn = vn->hnext) {
			if (vn->parent == odir && vn->name && !strcmp(vn->name, oname))
				moved = vn;
			else if (exchange && vn->parent == ndir && vn->name && !strcmp(vn->name, nname))
				other = vn;
		}
	}
	/* Hold both while re-parenting, so neither is freed midway. */
	if (moved)
		vnode_ref(moved);
	if (other)
		vnode_ref(other);
	if (moved)
		vnode_set_parent(moved, ndir, nname);
	if (other)
		vnode_set_parent(other, odir, oname);
	vnode_put(other);
	vnode_put(moved);
}
