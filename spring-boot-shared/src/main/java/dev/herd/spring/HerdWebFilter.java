package dev.herd.spring;

import dev.herd.worker.Herd;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * For reactive apps (Reactor Netty, or WebFlux on Tomcat or Jetty): counts each request for herd, and a response
 * committed once the drain has begun (also one that was in flight when it began) carries {@code Connection: close}.
 */
final class HerdWebFilter implements WebFilter {

    private final DrainState drainState;

    HerdWebFilter(DrainState drainState) {
        this.drainState = drainState;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        exchange.getResponse().beforeCommit(() -> {
            if (drainState.draining()) {
                exchange.getResponse().getHeaders().set(HttpHeaders.CONNECTION, "close");
            }
            return Mono.empty();
        });
        drainState.requestStarted();
        return chain.filter(exchange).doFinally(signal -> {
            drainState.requestEnded();
            Herd.requestServed();
        });
    }
}
