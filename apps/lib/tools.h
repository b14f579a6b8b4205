/*
 * The tools of apps/, each a function with main's contract: argv[0] is
 * ignored (messages always name the tool), the return value is the exit
 * status (0, or 1 after any error). Each apps/NAME/main.c wraps one of them;
 * the shell (apps/sh) compiles them all in and calls them as built-ins.
 */
#ifndef APPS_LIB_TOOLS_H
#define APPS_LIB_TOOLS_H

int cat_main(int argc, char **argv);
int cp_main(int argc, char **argv);
int find_main(int argc, char **argv);
int ls_main(int argc, char **argv);
int sha256sum_main(int argc, char **argv);

#endif
