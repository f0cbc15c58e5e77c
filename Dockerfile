# The inference service (ECS task behind the ALB): GET /ping, POST /invocations on port 50101.
# Build from the repository root: docker build -t ddn-inference .
FROM node:20-slim
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip \
    DDN_INFERENCE_HOST=0.0.0.0 DDN_INFERENCE_PORT=50101
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
USER node
EXPOSE 50101
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:50101/ping').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "--import", "tsx", "src/inference/main.ts"]
