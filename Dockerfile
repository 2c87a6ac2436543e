# The pipeline image (docker-compose.yml: services `migrate` and `pipeline`). Node 24, the Lambda
# runtime's major; `npm ci` also installs the pinned node binary package the npm scripts run on.
FROM node:24.11.1-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV JTP_LOCAL_SERVERS=none
EXPOSE 3002
CMD ["npm", "start", "--", "--external"]
