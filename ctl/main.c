/* main.c: nusimctl, the operator's command line of the nusimd REST API;
 * everything lives in the other files of ctl/. */
#include "ctl/ctl.h"

int main(int argc, char **argv)
{
	return ctl_main(argc, argv);
}
