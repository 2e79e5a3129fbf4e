import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { ChatMessage, Principal } from '@llmp/contracts';
import {
  ApiError,
  ApiErrorCode,
  ChatModelDefinition,
  ModelCapability,
  PiiCounts,
  PiiRedactor,
  RouteDefinition,
  Sensitivity,
} from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';
import { ModelCatalog } from '../models/model-catalog.service';

const RANK: Record<Sensitivity, number> = { public: 0, internal: 1, confidential: 2 };

/** What a request brings to the routing decision. */
export interface RouteRequest {
  /** The `sensitivity` extension field. */
  sensitivity?: Sensitivity;
  /** The `complexity` extension field: targets tagged with it come first. */
  complexity?: 'low' | 'high';
  messages: readonly ChatMessage[];
  /** The prompt's estimated tokens and the requested max tokens, against each target's context window. */
  promptTokens: number;
  maxTokens?: number;
  /** A request field only local models serve (`logprobs`, `logit_bias`), which keeps remote targets out. */
  localOnly?: string;
  /** The request constrains the reply to JSON (`response_format`, `text.format`): Anthropic models cannot. */
  jsonFormat?: boolean;
}

/** The decision for one request: the targets that may serve it, in order, and why the others may not. */
export interface RoutePlan {
  /** The model id the client named (a model or a route). */
  requested: string;
  /** The route, when `requested` names one. */
  route: string | null;
  targets: ChatModelDefinition[];
  skipped: { model: string; reason: string }[];
  sensitivity: Sensitivity;
  /** Where the sensitivity came from: the request, PII found in it, or neither (public). */
  sensitivitySource: 'request' | 'pii' | 'default';
  /** Personal data found in the prompt, by type (counts only). */
  pii: PiiCounts;
  /** The first target: its limits (default max tokens, context) apply to the request. */
  model: ChatModelDefinition;
}

/**
 * Routing across local and remote models. A route (a virtual model such as `auto`) lists targets; each request
 * keeps those that may serve it: not a remote one for a confidential request (a hard rule, whatever the config),
 * none whose `max_sensitivity` is below the request's, none whose context window the prompt cannot fit, none
 * above the route's price ceiling. Sensitivity is the request's, raised by personal data found in the prompt
 * (PII_SENSITIVITY). Decisions that involve remote models or sensitive requests go to the `audit` log: ids,
 * levels and targets, never content.
 */
@Injectable()
export class Router {
  private readonly audit = new Logger('audit');
  private readonly routes: Map<string, RouteDefinition>;
  readonly pii: PiiRedactor;

  constructor(
    private readonly catalog: ModelCatalog,
    @Inject(gatewayConfig.KEY) private readonly cfg: ConfigType<typeof gatewayConfig>,
  ) {
    this.routes = new Map(cfg.routes.map((r) => [r.id, r]));
    this.pii = new PiiRedactor({ phoneRegion: cfg.piiPhoneRegion ?? undefined, patterns: cfg.piiPatterns });
  }

  /** Whether personal data in `text` makes a request confidential (only with PII_SENSITIVITY=confidential). */
  confidentialByPii(text: string): boolean {
    return this.cfg.piiSensitivity === 'confidential' && Object.keys(this.pii.detect(text)).length > 0;
  }

  /** 404 for an unknown model or route (or one the caller may not use), before any work is done for it. */
  check(id: string, p: Principal, capability: ModelCapability): void {
    if (this.routes.has(id)) {
      if (p.models !== null && !p.models.includes(id)) this.catalog.require(id, p);
      return;
    }
    this.catalog.require(id, p, capability);
  }

  /** `plan` for a request carrying the routing extensions (`model`, `sensitivity`, `complexity`). */
  planFor(
    r: { model: string; sensitivity?: Sensitivity; complexity?: 'low' | 'high' },
    p: Principal,
    requestId: string,
    prompt: Omit<RouteRequest, 'sensitivity' | 'complexity'>,
  ): RoutePlan {
    return this.plan(
      r.model,
      p,
      'chat',
      { ...prompt, sensitivity: r.sensitivity, complexity: r.complexity },
      requestId,
    );
  }

  plan(id: string, p: Principal, capability: ModelCapability, req: RouteRequest, requestId: string): RoutePlan {
    const route = this.routes.get(id);
    const candidates = route ? this.routeTargets(route, p, req) : [this.catalog.require(id, p, capability)];
    const remote = candidates.some((m) => m.kind === 'remote');
    // Detection matters when a remote model could see the prompt, or when found PII makes a request
    // confidential (which also keeps it out of the response cache).
    const pii = remote || this.cfg.piiSensitivity === 'confidential' ? this.detect(req.messages) : {};
    const found = Object.keys(pii).length > 0;
    const raised = found && this.cfg.piiSensitivity !== 'none' ? this.cfg.piiSensitivity : 'public';
    const asked = req.sensitivity ?? 'public';
    const sensitivity = RANK[raised] > RANK[asked] ? raised : asked;
    const sensitivitySource = RANK[raised] > RANK[asked] ? 'pii' : req.sensitivity ? 'request' : 'default';
    const targets: ChatModelDefinition[] = [];
    const skipped: RoutePlan['skipped'] = [];
    for (const m of candidates) {
      const reason = this.refusal(m, capability, sensitivity, req, route);
      if (reason) skipped.push({ model: m.id, reason });
      else targets.push(m);
    }
    const plan = {
      requested: id,
      route: route?.id ?? null,
      targets,
      skipped,
      sensitivity,
      sensitivitySource,
      pii,
      model: targets[0] ?? candidates[0]!,
    } satisfies RoutePlan;
    if (remote || sensitivity !== 'public') {
      this.audit.log({
        msg: 'route decision',
        requestId,
        userId: p.userId,
        requested: id,
        sensitivity,
        sensitivitySource,
        pii,
        targets: targets.map((t) => t.id),
        skipped,
      });
    }
    if (!targets.length) {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `No model of '${id}' may serve this request: ${skipped.map((s) => `${s.model}: ${s.reason}`).join('; ')}.`,
        sensitivitySource === 'request' ? 'sensitivity' : 'model',
      );
    }
    return plan;
  }

  /** The route's targets the caller may use, those tagged with the request's complexity first. */
  private routeTargets(route: RouteDefinition, p: Principal, req: RouteRequest): ChatModelDefinition[] {
    if (p.models !== null && !p.models.includes(route.id)) {
      throw new ApiError(
        ApiErrorCode.ModelNotFound,
        `The model '${route.id}' does not exist or you do not have access to it.`,
        'model',
      );
    }
    const ordered = req.complexity
      ? [
          ...route.targets.filter((t) => t.complexity === req.complexity),
          ...route.targets.filter((t) => t.complexity !== req.complexity),
        ]
      : route.targets;
    return ordered.map((t) => this.catalog.definition(t.model) as ChatModelDefinition);
  }

  private refusal(
    m: ChatModelDefinition,
    capability: ModelCapability,
    sensitivity: Sensitivity,
    req: RouteRequest,
    route: RouteDefinition | undefined,
  ): string | null {
    if (!(m.capabilities as string[]).includes(capability)) return `it does not serve ${capability}`;
    if (m.kind === 'remote') {
      if (req.localOnly) return `${req.localOnly} is served by local models only`;
      if (req.jsonFormat && m.provider === 'anthropic')
        return 'JSON response formats are not served by Anthropic models';
      // The hard rule: confidential requests are served by local models only.
      if (sensitivity === 'confidential') return 'confidential requests are served by local models only';
      if (RANK[sensitivity] > RANK[m.max_sensitivity]) {
        return `${sensitivity} requests may not go to it (max_sensitivity ${m.max_sensitivity})`;
      }
    }
    if (route) {
      const need = req.promptTokens + (req.maxTokens ?? 0);
      if (need > m.context_size) return `the prompt (about ${need} tokens with max_tokens) exceeds its context`;
      const price = m.kind === 'remote' && m.pricing ? m.pricing.input + m.pricing.output : 0;
      if (route.max_price !== undefined && price > route.max_price) {
        return `its price ${price} per million tokens is above the route's max_price ${route.max_price}`;
      }
    }
    return null;
  }

  private detect(messages: readonly ChatMessage[]): PiiCounts {
    const text = messages.map((m) => [m.content, ...(m.toolCalls ?? []).map((c) => c.arguments)].join('\n')).join('\n');
    return this.pii.detect(text);
  }
}
