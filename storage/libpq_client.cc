// The libpq functions ticketsim calls, defined here so that the program is
// not linked with libpq: each forwards to libpq's own, from a library
// opened the first time a PostgreSQL strategy needs it (shared_library.h
// says why). A libpq function called anywhere and missing here is a link
// error, so this list cannot fall behind.

#include <libpq-fe.h>

#include "storage/shared_library.h"

namespace ticketsim {
extern const char kLibpqSoname[] = "libpq.so.5";
}  // namespace ticketsim

namespace {

const ticketsim::SharedLibrary& libpq() {
  static const ticketsim::SharedLibrary library(ticketsim::kLibpqSoname, "libpq5");
  return library;
}

}  // namespace

// Looked up once per function, on its first call.
#define LIBPQ(name) static auto* const real = libpq().function<decltype(name)>(#name)

extern "C" {

PGconn* PQconnectdbParams(const char* const* keywords, const char* const* values, int expand_dbname) {
  LIBPQ(PQconnectdbParams);
  return real(keywords, values, expand_dbname);
}
PGPing PQping(const char* conninfo) {
  LIBPQ(PQping);
  return real(conninfo);
}
PQconninfoOption* PQconninfoParse(const char* conninfo, char** errmsg) {
  LIBPQ(PQconninfoParse);
  return real(conninfo, errmsg);
}
void PQconninfoFree(PQconninfoOption* options) {
  LIBPQ(PQconninfoFree);
  real(options);
}
void PQfreemem(void* pointer) {
  LIBPQ(PQfreemem);
  real(pointer);
}
void PQfinish(PGconn* conn) {
  LIBPQ(PQfinish);
  real(conn);
}
void PQreset(PGconn* conn) {
  LIBPQ(PQreset);
  real(conn);
}
ConnStatusType PQstatus(const PGconn* conn) {
  LIBPQ(PQstatus);
  return real(conn);
}
PGTransactionStatusType PQtransactionStatus(const PGconn* conn) {
  LIBPQ(PQtransactionStatus);
  return real(conn);
}
char* PQerrorMessage(const PGconn* conn) {
  LIBPQ(PQerrorMessage);
  return real(conn);
}
PQnoticeProcessor PQsetNoticeProcessor(PGconn* conn, PQnoticeProcessor processor, void* argument) {
  LIBPQ(PQsetNoticeProcessor);
  return real(conn, processor, argument);
}

PGresult* PQexec(PGconn* conn, const char* query) {
  LIBPQ(PQexec);
  return real(conn, query);
}
PGresult* PQprepare(PGconn* conn, const char* name, const char* query, int parameters, const Oid* types) {
  LIBPQ(PQprepare);
  return real(conn, name, query, parameters, types);
}
PGresult* PQexecPrepared(PGconn* conn, const char* name, int parameters, const char* const* values,
                         const int* lengths, const int* formats, int result_format) {
  LIBPQ(PQexecPrepared);
  return real(conn, name, parameters, values, lengths, formats, result_format);
}
int PQsendQueryPrepared(PGconn* conn, const char* name, int parameters, const char* const* values,
                        const int* lengths, const int* formats, int result_format) {
  LIBPQ(PQsendQueryPrepared);
  return real(conn, name, parameters, values, lengths, formats, result_format);
}
PGresult* PQgetResult(PGconn* conn) {
  LIBPQ(PQgetResult);
  return real(conn);
}

int PQenterPipelineMode(PGconn* conn) {
  LIBPQ(PQenterPipelineMode);
  return real(conn);
}
int PQexitPipelineMode(PGconn* conn) {
  LIBPQ(PQexitPipelineMode);
  return real(conn);
}
int PQpipelineSync(PGconn* conn) {
  LIBPQ(PQpipelineSync);
  return real(conn);
}

ExecStatusType PQresultStatus(const PGresult* result) {
  LIBPQ(PQresultStatus);
  return real(result);
}
char* PQresultErrorField(const PGresult* result, int field) {
  LIBPQ(PQresultErrorField);
  return real(result, field);
}
char* PQresultErrorMessage(const PGresult* result) {
  LIBPQ(PQresultErrorMessage);
  return real(result);
}
int PQntuples(const PGresult* result) {
  LIBPQ(PQntuples);
  return real(result);
}
char* PQgetvalue(const PGresult* result, int row, int column) {
  LIBPQ(PQgetvalue);
  return real(result, row, column);
}
char* PQcmdTuples(PGresult* result) {
  LIBPQ(PQcmdTuples);
  return real(result);
}
void PQclear(PGresult* result) {
  LIBPQ(PQclear);
  real(result);
}

}  // extern "C"
