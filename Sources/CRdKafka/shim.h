// librdkafka's public header. The library itself is linked from .deps/lib (see
// Package.swift): Debian 12 ships headers for 2.0.2, whose ABI the newer
// library keeps, but the 2.0.2 library cannot talk to brokers that send
// tagged fields. SluiceKafka checks rd_kafka_version() at first use.
#include <librdkafka/rdkafka.h>
