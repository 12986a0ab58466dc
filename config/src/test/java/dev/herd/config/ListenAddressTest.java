package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ListenAddressTest {

    @Test
    void parsesIpv4HostAndPort() {
        assertEquals(new ListenAddress("127.0.0.1", 9876), ListenAddress.parse("127.0.0.1:9876"));
    }

    @Test
    void parsesBracketedIpv6Host() {
        assertEquals(new ListenAddress("::1", 80), ListenAddress.parse("[::1]:80"));
    }

    @Test
    void parsesHostNameWithPortZero() {
        assertEquals(new ListenAddress("localhost", 0), ListenAddress.parse("localhost:0"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            ":80        | the host is empty",
            "[]:80      | the host is empty",
            "host       | expected HOST:PORT",
            "host:99999 | the port must be a number from 0 to 65535",
            "host:65536 | the port must be a number from 0 to 65535",
            "host:abc   | the port must be a number from 0 to 65535",
            "host:      | the port must be a number from 0 to 65535",
            "host:-1    | the port must be a number from 0 to 65535",
            "::1:80     | an IPv6 host must be in brackets",
            "[::1]80    | expected [IPV6]:PORT",
            "[::1:80    | expected [IPV6]:PORT",
            "a b:80     | contains brackets or blanks"})
    void rejectsNamingTheTextAndTheReason(String text, String reason) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ListenAddress.parse(text));
        assertTrue(e.getMessage().startsWith("'" + text + "' is not a listen address: "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"127.0.0.1:9876", "[::1]:80", "localhost:0", "[fe80::1%eth0]:65535"})
    void toStringGivesBackWhatParseAccepts(String text) {
        assertEquals(text, ListenAddress.parse(text).toString());
    }

    @Test
    void constructorRejectsOutOfRangePort() {
        assertThrows(IllegalArgumentException.class, () -> new ListenAddress("localhost", 65536));
        assertThrows(IllegalArgumentException.class, () -> new ListenAddress("", 80));
    }
}
