package dev.herd.spring;

import java.util.Optional;
import org.springframework.boot.web.server.WebServer;

/** Recognises the running web server as one the starter supports; one bean per server on the classpath. */
@FunctionalInterface
interface HerdServerProbe {

    Optional<HerdServer> probe(WebServer webServer);
}
