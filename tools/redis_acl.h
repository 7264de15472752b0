/*
 * The Redis roles (ACL users): what each program may do, and the ACL
 * file Redis loads at start (--aclfile).  ACLs are not replicated: every
 * Redis host gets the same file.
 */
#ifndef REDIS_ACL_H
#define REDIS_ACL_H

/*
 * Makes each role's password (redis-<role>.pass in dir, 0600, kept if
 * there) and writes the ACL file at acl_path, atomically, with the
 * passwords' SHA-256 and the rules for the stream key.  0, or -1 (logged).
 */
int	redis_acl_write(const char *dir, const char *acl_path,
	    const char *stream);

#endif
