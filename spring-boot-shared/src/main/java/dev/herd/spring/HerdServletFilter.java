package dev.herd.spring;

import dev.herd.worker.Herd;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * For servlet apps (Tomcat, Jetty): counts each request for herd ({@code maxRequests}, {@code herd status}), and once
 * the drain has begun answers with {@code Connection: close}, so that a keep-alive client takes its next request to
 * another worker instead of meeting a closed connection.
 */
final class HerdServletFilter implements Filter {

    private final DrainState drainState;

    HerdServletFilter(DrainState drainState) {
        this.drainState = drainState;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        drainState.requestStarted();
        try {
            if (drainState.draining() && response instanceof HttpServletResponse http) {
                http.setHeader("Connection", "close");
            }
            chain.doFilter(request, response);
        } finally {
            drainState.requestEnded();
            Herd.requestServed();
        }
    }
}
