/* main.c: nusimd, the LwM2M server; everything lives in the libraries. */
#include "server/server.h"

int main(int argc, char **argv)
{
	return nusimd_main(argc, argv);
}
