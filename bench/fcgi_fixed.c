/*
 * Ceiling (a): the cheapest FastCGI responder there is, so that the
 * benchmark can show what lighttpd and libfcgi cost on their own.  It
 * answers every request with the same small JSON body.
 */
#include <signal.h>
#include <stdlib.h>

#include <fcgiapp.h>

static const char answer[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n\r\n"
    "{\"status\":\"ok\"}\n";

int
main(void)
{
	FCGX_Request req;

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return EXIT_FAILURE;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(answer, sizeof(answer) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return EXIT_SUCCESS;
}
