import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { ModelObject, Principal } from '@llmp/contracts';
import {
  ApiError,
  ApiErrorCode,
  ChatModelDefinition,
  EmbeddingModelDefinition,
  LlmModelDefinition,
  ModelCapability,
  ModelDefinition,
  RouteDefinition,
} from '@llmp/platform';
import { gatewayConfig } from '../config/gateway.config';

/** The models this deployment serves (local and remote) and its routes, from the shared models config. */
@Injectable()
export class ModelCatalog {
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly byId: Map<string, ModelDefinition>;
  private readonly routes: Map<string, RouteDefinition>;

  constructor(@Inject(gatewayConfig.KEY) cfg: ConfigType<typeof gatewayConfig>) {
    this.byId = new Map(cfg.models.map((m) => [m.id, m]));
    this.routes = new Map(cfg.routes.map((r) => [r.id, r]));
  }

  /** The models and routes the caller may use (an API key may be restricted to some). */
  list(principal: Principal): ModelObject[] {
    return [...this.byId.values(), ...this.routes.values()]
      .filter((m) => allowed(principal, m.id))
      .map((m) => this.toObject(m));
  }

  get(id: string, principal: Principal): ModelObject {
    const route = this.routes.get(id);
    if (route && allowed(principal, id)) return this.toObject(route);
    return this.toObject(this.require(id, principal));
  }

  /** A model of the config by id, without access checks (a route's target: access was checked on the route). */
  definition(id: string): ModelDefinition | undefined {
    return this.byId.get(id);
  }

  /** The model definition, or 404 `model_not_found` (also for models the key may not use); 400 when it cannot
   * serve the capability (an embedding model on a generation route included). */
  require(id: string, principal: Principal, capability: 'completion'): LlmModelDefinition;
  require(id: string, principal: Principal, capability: ModelCapability): ChatModelDefinition;
  require(id: string, principal: Principal): ModelDefinition;
  require(id: string, principal: Principal, capability?: ModelCapability): ModelDefinition {
    const model = this.byId.get(id);
    if (!model || !allowed(principal, id)) {
      throw new ApiError(
        ApiErrorCode.ModelNotFound,
        `The model '${id}' does not exist or you do not have access to it.`,
        'model',
      );
    }
    if (capability && (model.kind === 'embedding' || !(model.capabilities as string[]).includes(capability))) {
      const what = capability === 'chat' ? '/v1/chat/completions' : '/v1/completions';
      const hint = model.kind === 'embedding' ? ' It is an embedding model: use /v1/embeddings.' : '';
      throw new ApiError(
        ApiErrorCode.UnsupportedCapability,
        `The model '${id}' is not supported on ${what}.${hint}`,
        'model',
      );
    }
    return model;
  }

  /** An embedding model the caller may use: 404 as `require`, 400 `unsupported_capability` for a generative one. */
  requireEmbedding(id: string, principal: Principal): EmbeddingModelDefinition {
    const model = this.require(id, principal);
    if (model.kind !== 'embedding') {
      throw new ApiError(
        ApiErrorCode.UnsupportedCapability,
        `The model '${id}' is not supported on /v1/embeddings: it is not an embedding model.`,
        'model',
      );
    }
    return model;
  }

  private toObject(m: ModelDefinition | RouteDefinition): ModelObject {
    return {
      id: m.id,
      object: 'model',
      created: this.created,
      owned_by: m.owned_by,
      capabilities: this.capabilities(m),
    };
  }

  private capabilities(m: ModelDefinition | RouteDefinition): string[] {
    if (!('kind' in m)) {
      const each = m.targets.map((t) => this.byId.get(t.model)).map((d) => (d ? this.capabilities(d) : []));
      return each.reduce((all, c) => all.filter((x) => c.includes(x)));
    }
    return m.kind === 'embedding' ? ['embeddings'] : [...m.capabilities];
  }
}

function allowed(principal: Principal, modelId: string): boolean {
  return principal.models === null || principal.models.includes(modelId);
}
