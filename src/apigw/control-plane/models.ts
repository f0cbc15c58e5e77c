import type { z } from 'zod';
import { badRequest, conflict, notFound } from '../errors.ts';
import { resourceId } from '../ids.ts';
import { draft4SchemaError, modelTemplate } from '../json-schema.ts';
import { omitUndefined, type Model } from '../model.ts';
import type { createModelSchema, updateModelSchema } from '../requests.ts';
import { PageTokens } from '../../protocols/pagination.ts';
import { readPage, type ListPage, type PageRequest } from './pages.ts';
import type { ApigwControlPlane } from './plane.ts';

type CreateModel = z.infer<typeof createModelSchema>;
type UpdateModel = z.infer<typeof updateModelSchema>;

const PAGES = new PageTokens('models');
const MODEL_NAME = /^[A-Za-z0-9]+$/;

/** Models: JSON Schema draft 4 documents stored with an API. HTTP APIs do not validate requests against them. */
export class Models {
  constructor(private readonly plane: ApigwControlPlane) {}

  create(apiId: string, input: CreateModel): Model {
    this.plane.apis.get(apiId);
    const model: Model = omitUndefined({ modelId: resourceId(6), ...input });
    this.validate(apiId, model);
    this.plane.store.putModel(apiId, model.modelId, model);
    return model;
  }

  get(apiId: string, modelId: string): Model {
    this.plane.apis.get(apiId);
    const model = this.plane.store.getChild('models', apiId, modelId);
    if (!model) throw notFound(`Invalid Model identifier specified ${modelId}`, 'Model');
    return model;
  }

  page(apiId: string, request: PageRequest): ListPage<Model> {
    this.plane.apis.get(apiId);
    return readPage(PAGES, request, (max, after) => this.plane.store.listChildrenPage('models', apiId, max, after));
  }

  update(apiId: string, modelId: string, input: UpdateModel): Model {
    const model: Model = { ...this.get(apiId, modelId), ...omitUndefined(input) };
    this.validate(apiId, model);
    this.plane.store.putModel(apiId, modelId, model);
    return model;
  }

  delete(apiId: string, modelId: string): void {
    this.get(apiId, modelId);
    this.plane.store.deleteChild('models', apiId, modelId);
  }

  template(apiId: string, modelId: string): string {
    return modelTemplate(this.get(apiId, modelId).schema);
  }

  private validate(apiId: string, model: Model): void {
    if (!MODEL_NAME.test(model.name)) throw badRequest(`Invalid model name "${model.name}": use letters and digits.`);
    const error = draft4SchemaError(model.schema);
    // The wording of REST APIs' model validation; unconfirmed for HTTP APIs.
    if (error) throw badRequest(`Invalid model specified: Validation Result: warnings : [], errors : [${error}]`);
    const clash = this.plane.store
      .listChildren('models', apiId)
      .some((m) => m.modelId !== model.modelId && m.name === model.name);
    if (clash) throw conflict(`Model name already exists for this API`);
  }
}
